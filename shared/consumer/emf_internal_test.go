package consumer

import (
	"bytes"
	"io"
	"testing"
	"time"
)

func TestEMFLineCountsOneOutcomeAndEncodesTheRestVerbatim(t *testing.T) {
	// The lines the per-record encoder wrote before the constant part was
	// built once; a namespace that needs escaping shows it is still JSON.
	const directive = `"CloudWatchMetrics":[{"Namespace":"Nice\"Chat\u003cRelay\u003e","Dimensions":[["channel"]],"Metrics":[{"Name":"Delivered","Unit":"Count"},{"Name":"Retried","Unit":"Count"},{"Name":"DeadLettered","Unit":"Count"},{"Name":"Duplicate","Unit":"Count"},{"Name":"ChannelPaused","Unit":"Count"}]}]`
	tests := []struct {
		outcome string
		want    string
	}{
		{OutcomeDelivered, `{"ChannelPaused":0,"DeadLettered":0,"Delivered":1,"Duplicate":0,"Retried":0,"_aws":{"Timestamp":1767225600123,` + directive + `},"channel":"webhook"}` + "\n"},
		{OutcomeRetried, `{"ChannelPaused":0,"DeadLettered":0,"Delivered":0,"Duplicate":0,"Retried":1,"_aws":{"Timestamp":1767225600123,` + directive + `},"channel":"webhook"}` + "\n"},
		{OutcomeDeadLettered, `{"ChannelPaused":0,"DeadLettered":1,"Delivered":0,"Duplicate":0,"Retried":0,"_aws":{"Timestamp":1767225600123,` + directive + `},"channel":"webhook"}` + "\n"},
		{OutcomeDuplicate, `{"ChannelPaused":0,"DeadLettered":0,"Delivered":0,"Duplicate":1,"Retried":0,"_aws":{"Timestamp":1767225600123,` + directive + `},"channel":"webhook"}` + "\n"},
		{OutcomePaused, `{"ChannelPaused":1,"DeadLettered":0,"Delivered":0,"Duplicate":0,"Retried":0,"_aws":{"Timestamp":1767225600123,` + directive + `},"channel":"webhook"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			var buf bytes.Buffer
			e := newEMF(&buf, `Nice"Chat<Relay>`, "webhook", func() time.Time { return time.UnixMilli(1767225600123) })
			e.write(tt.outcome)
			if got := buf.String(); got != tt.want {
				t.Errorf("line =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestEMFLinesTakeTheTimeOfEachWrite(t *testing.T) {
	var buf bytes.Buffer
	ms := int64(1000)
	e := newEMF(&buf, DefaultNamespace, "slack", func() time.Time { ms++; return time.UnixMilli(ms) })
	e.write(OutcomeDelivered)
	e.write(OutcomeDelivered)
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 2 || !bytes.Contains(lines[0], []byte(`"Timestamp":1001,`)) || !bytes.Contains(lines[1], []byte(`"Timestamp":1002,`)) {
		t.Errorf("lines = %q, want timestamps 1001 then 1002", lines)
	}
}

func BenchmarkEMFWrite(b *testing.B) {
	e := newEMF(io.Discard, DefaultNamespace, "webhook", time.Now)
	for b.Loop() {
		e.write(OutcomeDelivered)
	}
}
