package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/consumer/consumertest"
	"github.com/nicechat-relay/nicechat-relay/shared/dlq"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestDeadLettersAreShownAndRedrivenByTheirBodysID(t *testing.T) {
	useLocalAWS(t)
	client, queue, deadLetters := localaws.SQS(t), localaws.Queue(t, "src"), localaws.Queue(t, "dlq")
	t.Setenv("WEBHOOK_QUEUE_URL", queue)
	t.Setenv("WEBHOOK_DLQ_URL", deadLetters)
	genuine := `{"event":"new_order","data":{"id":1}}`
	forged := `{"event":"new_order","data":{"id":666}}`
	genuineID, forgedID := nicechat.EventIDString(genuine), nicechat.EventIDString(forged)
	// A letter put in the DLQ under the genuine event's id.
	consumertest.Send(t, client, deadLetters, forged, map[string]string{
		message.AttrEvent: "new_order", message.AttrEventID: genuineID,
		dlq.AttrChannel: "webhook", dlq.AttrFailureClass: "exhausted", dlq.AttrAttempts: "8",
	})

	// Steps, in order: the last one redrives the letter.
	steps := []struct {
		name      string
		args      []string
		wantCode  int
		wantOut   string
		wantErr   string
		wantMoved bool
	}{
		{"list names the letter by its body's id", []string{"dlq", "list", "--channel", "webhook"}, exitOK, forgedID, "", false},
		{"show finds it by its body's id and says the attribute differs", []string{"dlq", "show", forgedID, "--channel", "webhook"}, exitOK,
			"its event_id attribute (" + genuineID + ") is not its body's id", "", false},
		{"show does not find it by the id it claims", []string{"dlq", "show", genuineID, "--channel", "webhook"}, exitError, "", genuineID + " is not in the webhook DLQ", false},
		{"redrive does not pick it by the id it claims", []string{"dlq", "redrive", "--channel", "webhook", "--id", genuineID}, exitError, "0 of 1", "not in the webhook DLQ: " + genuineID, false},
		{"redrive picks it by its body's id", []string{"dlq", "redrive", "--channel", "webhook", "--id", forgedID}, exitOK, "redriven " + forgedID + " (new_order)", "", true},
	}
	for _, st := range steps {
		r := relayctl(st.args...)
		if r.code != st.wantCode || !strings.Contains(r.stdout, st.wantOut) || !strings.Contains(r.stderr, st.wantErr) {
			t.Errorf("%s: relayctl %v: exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout with %q, stderr with %q",
				st.name, st.args, r.code, r.stdout, r.stderr, st.wantCode, st.wantOut, st.wantErr)
		}
		if st.name == steps[0].name && !slices.Equal(listedIDs(r.stdout), []string{forgedID}) {
			t.Errorf("%s: listed %v, want only %s", st.name, listedIDs(r.stdout), forgedID)
		}
		if st.name == steps[1].name && strings.Contains(r.stdout, "Dead letter "+genuineID) {
			t.Errorf("%s: shown under the id it claims:\n%s", st.name, r.stdout)
		}
		back := consumertest.Drain(t, client, queue)
		if moved := len(back) == 1 && aws.ToString(back[0].Body) == forged; moved != st.wantMoved || len(back) > 1 {
			t.Errorf("%s: the source queue got %d messages, want the letter moved: %v", st.name, len(back), st.wantMoved)
		}
	}
}
