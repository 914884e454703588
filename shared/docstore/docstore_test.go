package docstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

// stores are both implementations, so each behaviour is checked on the
// table (moto's DynamoDB) and on the local file alike.
var stores = []struct {
	name string
	open func(t testing.TB) docstore.Store
}{
	{"table", func(t testing.TB) docstore.Store {
		return docstore.NewTable(awsjson.New(localaws.Config(t), awsjson.DynamoDB, nil), localaws.IdempotencyTable(t))
	}},
	{"local", func(t testing.TB) docstore.Store {
		l, err := idempotency.OpenLocal(filepath.Join(t.TempDir(), "idempotency.db"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return local(t, l)
	}},
}

// local is the document store in the idempotency store's file.
func local(t testing.TB, l *idempotency.Local) *docstore.Local {
	d, err := docstore.NewLocal(l.File())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// t0 is a whole second: the table keeps expiry times in epoch seconds.
var t0 = time.Now().Truncate(time.Second)

func TestADocumentIsWrittenOnlyOverTheVersionRead(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx, s := context.Background(), st.open(t)
			key := "slack-thread#C1#" + strconv.FormatInt(time.Now().UnixNano(), 10)

			d, err := s.LoadDoc(ctx, key, t0)
			if err != nil || d.Data != nil || d.Version != 0 {
				t.Fatalf("LoadDoc of a new key = %+v, %v; want none, version 0", d, err)
			}
			if err := s.SaveDoc(ctx, key, docstore.Doc{Data: []byte(`{"ts":"1.1"}`)}, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveDoc(ctx, key, docstore.Doc{Data: []byte(`{"ts":"2.2"}`)}, t0.Add(time.Hour)); !errors.Is(err, docstore.ErrConflict) {
				t.Errorf("a second first write = %v; want ErrConflict", err)
			}
			d, err = s.LoadDoc(ctx, key, t0)
			if err != nil || string(d.Data) != `{"ts":"1.1"}` || d.Version != 1 {
				t.Fatalf("LoadDoc = %s v%d, %v; want the first write, version 1", d.Data, d.Version, err)
			}
			stale := d
			d.Data = []byte(`{"ts":"1.1","n":2}`)
			if err := s.SaveDoc(ctx, key, d, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveDoc(ctx, key, stale, t0.Add(time.Hour)); !errors.Is(err, docstore.ErrConflict) {
				t.Errorf("a write over version 1 after version 2 = %v; want ErrConflict", err)
			}
			if d, _ := s.LoadDoc(ctx, key, t0); string(d.Data) != `{"ts":"1.1","n":2}` || d.Version != 2 {
				t.Errorf("after a refused stale write the document is %s v%d; want the second write, version 2", d.Data, d.Version)
			}
		})
	}
}

func TestConcurrentChangesToADocumentAreNeverLost(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx, s := context.Background(), st.open(t)
			key := "counter#" + strconv.FormatInt(time.Now().UnixNano(), 10)
			const writers = 8
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			for range writers {
				wg.Go(func() {
					for {
						d, err := s.LoadDoc(ctx, key, t0)
						if err != nil {
							errs <- err
							return
						}
						n, _ := strconv.Atoi(string(d.Data))
						d.Data = []byte(strconv.Itoa(n + 1))
						err = s.SaveDoc(ctx, key, d, t0.Add(time.Hour))
						if !errors.Is(err, docstore.ErrConflict) {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if d, _ := s.LoadDoc(ctx, key, t0); string(d.Data) != strconv.Itoa(writers) {
				t.Errorf("after %d concurrent increments the count is %s", writers, d.Data)
			}
		})
	}
}

func TestAnExpiredDocumentReadsAsNoneButKeepsItsVersion(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx, s := context.Background(), st.open(t)
			key := "expiring#" + strconv.FormatInt(time.Now().UnixNano(), 10)
			if err := s.SaveDoc(ctx, key, docstore.Doc{Data: []byte(`"old"`)}, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			d, err := s.LoadDoc(ctx, key, t0.Add(2*time.Minute))
			if err != nil || d.Data != nil || d.Version != 1 {
				t.Fatalf("LoadDoc after expiry = %s v%d, %v; want none, version 1", d.Data, d.Version, err)
			}
			d.Data = []byte(`"new"`)
			if err := s.SaveDoc(ctx, key, d, t0.Add(time.Hour)); err != nil {
				t.Errorf("a write over the expired document's version: %v", err)
			}
			if d, _ := s.LoadDoc(ctx, key, t0.Add(2*time.Minute)); string(d.Data) != `"new"` {
				t.Errorf("the document is %s; want the new one", d.Data)
			}
		})
	}
}

func TestTheLocalStoreKeepsDocumentsAcrossARestartAndDropsExpiredOnes(t *testing.T) {
	ctx, path := context.Background(), filepath.Join(t.TempDir(), "idempotency.db")
	l, err := idempotency.OpenLocal(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	docs := local(t, l)
	for key, expires := range map[string]time.Time{"kept": t0.Add(time.Hour), "expired": t0.Add(time.Minute), "binary": t0.Add(time.Hour)} {
		data := []byte(`{"k":"` + key + `"}`)
		if key == "binary" {
			data = []byte{0xff, 0, 1}
		}
		if err := docs.SaveDoc(ctx, key, docstore.Doc{Data: data}, expires); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if l, err = idempotency.OpenLocal(path, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	docs = local(t, l)
	if d, _ := docs.LoadDoc(ctx, "kept", t0.Add(2*time.Minute)); string(d.Data) != `{"k":"kept"}` || d.Version != 1 {
		t.Errorf("kept = %s v%d after a restart", d.Data, d.Version)
	}
	if d, _ := docs.LoadDoc(ctx, "binary", t0.Add(2*time.Minute)); string(d.Data) != "\xff\x00\x01" {
		t.Errorf("a document that is not JSON reads back as %q", d.Data)
	}
	if d, _ := docs.LoadDoc(ctx, "expired", t0); d.Data != nil || d.Version != 0 {
		t.Errorf("a document that expired before the restart is still there: %s v%d", d.Data, d.Version)
	}
}
