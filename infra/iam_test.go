package infra_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	sesv1 "github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/awsenv"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/ingest"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
	"github.com/nicechat-relay/nicechat-relay/shared/slack/slacktest"
)

// Each consumer role may touch only its own channel's items of the shared
// table (dynamodb:LeadingKeys): the keys each consumer's code writes while
// it delivers (its delivery records and, for Slack in threads, the
// visitor's thread) match its role's patterns, so the condition locks no
// channel out of its own items, and match no other role's, so no channel
// can read or overwrite another's.
func TestEachConsumerTouchesOnlyItsOwnItemsOfTheTable(t *testing.T) {
	tpl := loadTemplate(t)
	// One far end for every channel's (farEndAnswer).
	farEnd := httptest.NewServer(http.HandlerFunc(farEndAnswer))
	t.Cleanup(farEnd.Close)
	slackAPI := slacktest.New(t, testBotToken, testSlackChannel)
	if _, err := localaws.SES(t).VerifyEmailIdentity(context.Background(), &sesv1.VerifyEmailIdentityInput{EmailAddress: aws.String(allChannels["EmailFrom"])}); err != nil {
		t.Fatalf("verify the sender on the local SES: %v", err)
	}

	// Every role's patterns, Slack's in both modes.
	rolePatterns := map[string][]string{} // "<role> (<mode>)" -> patterns
	for mode, params := range map[string]map[string]string{"webhook": allChannels, "threads": with(slackThreads...)} {
		s := newStack(t, tpl, params)
		for _, spec := range channels.All {
			role := spec.Title + "Role"
			rolePatterns[role+" ("+mode+")"] = leadingKeys(t, s, role)
		}
	}

	type iamCase struct {
		name    string
		params  map[string]string
		spec    channel.Spec
		env     map[string]string // what a test points elsewhere than AWS does
		formats []message.Format  // one message each
		items   int               // what the delivery leaves in the table
	}
	// Each channel as its Examples turn it on, its far end here, one
	// message per route (every route on), each leaving its delivery
	// record; then Slack in threads, which keeps the visitor's thread too.
	var cases []iamCase
	for _, spec := range channels.All {
		tc := iamCase{name: spec.Name, params: with(), spec: spec, env: map[string]string{}, items: len(spec.Routes)}
		pointFarEnd(spec, tc.params, tc.env, farEnd.URL) // a channel with none delivers through the local AWS
		for _, r := range spec.Routes {
			tc.formats = append(tc.formats, r.Format)
			if r.Default == "" { // a route off by default (email's tech JSON)
				tc.params[channel.ParameterName(r.Env)] = "*"
			}
		}
		cases = append(cases, tc)
	}
	cases = append(cases, iamCase{"slack in threads", with(slackThreads...), slack.Spec, map[string]string{"SLACK_API_URL": slackAPI.URL}, []message.Format{""}, 2})

	tested := map[string]bool{}
	for _, tc := range cases {
		tested[tc.spec.Name] = true
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, tpl, tc.params)
			if ok, why := s.rulesPass(); !ok {
				t.Fatalf("the template's Rules refuse these parameters: %s", why)
			}
			queues := localQueues(t, s, queueID(tc.spec), dlqID(tc.spec))
			fn := s.function(functionID(tc.spec))
			lambdaEnv := lambdaEnvironment(t)
			getenv := func(name string) string {
				if v, ok := tc.env[name]; ok {
					return v
				}
				if v, ok := lambdaEnv[name]; ok {
					return v
				}
				return fn.getenv(name)
			}
			// What Setup builds (no secret is in Secrets Manager here), its
			// metrics kept out of the test's output.
			awsCfg, err := awsenv.Config(getenv)
			if err != nil {
				t.Fatal(err)
			}
			rt, err := consumer.NewFromEnv(tc.spec, getenv, localaws.SQS(t), awsCfg, nil, slog.New(slog.DiscardHandler), func(c *consumer.Config) { c.Metrics = io.Discard })
			if err != nil {
				t.Fatalf("%s would not start: %v", fn.ID, err)
			}

			// The keys the code names, from the code: idempotency.Key of
			// each message.
			body := fixtureBody(t, "first_message")
			var records []string
			for _, format := range tc.formats {
				m := message.Message{Body: []byte(body), Event: "first_message", EventID: nicechat.EventID([]byte(body)), ReceivedAt: time.Now(), Format: format}
				records = append(records, idempotency.Key(m, tc.spec.Name))
				if _, err := localaws.SQS(t).SendMessage(context.Background(), &sqs.SendMessageInput{
					QueueUrl: aws.String(queues[queueID(tc.spec)]), MessageBody: aws.String(body), MessageAttributes: m.Attributes(),
				}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(fn.Timeout)*time.Second)
			defer cancel()
			resp, _ := rt.Handle(ctx, receiveAsLambda(t, queues[queueID(tc.spec)], len(tc.formats)))
			if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("batch item failures %v, want none", resp.BatchItemFailures)
			}

			keys := tableKeys(t, s.tableName("IdempotencyTable"))
			for _, r := range records {
				if !slices.Contains(keys, r) {
					t.Errorf("the table holds %v, not the delivery record %s", keys, r)
				}
			}
			if len(keys) != tc.items {
				t.Errorf("the table holds %d items (%v), want %d", len(keys), keys, tc.items)
			}
			own := tc.spec.Title + "Role"
			for _, key := range keys {
				if !anyLike(key, leadingKeys(t, s, own)) {
					t.Errorf("%s's code uses the key %q, which %s may not touch (dynamodb:LeadingKeys %v)", fn.ID, key, own, leadingKeys(t, s, own))
				}
				for role, patterns := range rolePatterns {
					if !strings.HasPrefix(role, own+" ") && anyLike(key, patterns) {
						t.Errorf("%s may touch %s's item %q (dynamodb:LeadingKeys %v)", role, tc.spec.Name, key, patterns)
					}
				}
			}
		})
	}
	for _, spec := range channels.All {
		if !tested[spec.Name] {
			t.Errorf("the %s channel's keys are not tested: add it above", spec.Name)
		}
	}
}

// leadingKeys are the dynamodb:LeadingKeys patterns of a role's one
// statement on the table.
func leadingKeys(t *testing.T, s *stack, role string) []string {
	t.Helper()
	var out []string
	n := 0
	for _, st := range s.roleStatements(role) {
		if !slices.ContainsFunc(asStrings(st["Action"]), func(a string) bool { return strings.HasPrefix(a, "dynamodb:") }) {
			continue
		}
		n++
		out = append(out, asStrings(path(st["Condition"], "ForAllValues:StringLike", "dynamodb:LeadingKeys"))...)
	}
	if n != 1 || len(out) == 0 {
		t.Fatalf("%s has %d statements on the table, with the key patterns %v; want one, limited to the channel's keys", role, n, out)
	}
	return out
}

// anyLike reports whether key matches one of IAM's StringLike patterns
// (* any run of characters, ? any one).
func anyLike(key string, patterns []string) bool {
	for _, p := range patterns {
		re := regexp.QuoteMeta(p)
		re = strings.ReplaceAll(re, `\*`, `.*`)
		re = strings.ReplaceAll(re, `\?`, `.`)
		if regexp.MustCompile(`^(?s:` + re + `)$`).MatchString(key) {
			return true
		}
	}
	return false
}

// tableKeys reads every key of a table on the local DynamoDB.
func tableKeys(t *testing.T, table string) []string {
	t.Helper()
	var keys []string
	in := &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)}
	for {
		out, err := localaws.DynamoDB(t).Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, item := range out.Items {
			id, ok := item["id"].(*ddbtypes.AttributeValueMemberS)
			if !ok {
				t.Fatalf("an item of %s has no string id: %v", table, item)
			}
			keys = append(keys, id.Value)
		}
		if len(out.LastEvaluatedKey) == 0 {
			slices.Sort(keys)
			return keys
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// During a rotation the stack's ingest takes the new token and the old
// one, each given as a value or as a secret; once the rotation is over,
// only the new one.
func TestIngestTakesBothTokensWhileTheCallbackTokenRotates(t *testing.T) {
	tpl := loadTemplate(t)
	current := allChannels["CallbackToken"]
	for _, tc := range []struct {
		name     string
		params   map[string]string
		previous string // the old token, as Nice Chat still sends it
		accepted bool
	}{
		{"the old token as a value", with("CallbackTokenPrevious", testPreviousToken), testPreviousToken, true},
		{"the old token in Secrets Manager", with("CallbackTokenPreviousSecretArn", testSecretArn("token-previous")), secretValues["CallbackTokenPreviousSecretArn"], true},
		{"the rotation over", allChannels, testPreviousToken, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, tpl, withRealSecrets(t, tc.params))
			if ok, why := s.rulesPass(); !ok {
				t.Fatalf("the template's Rules refuse these parameters: %s", why)
			}
			lambdaEnv := lambdaEnvironment(t)
			fn := s.function("IngestFunction")
			h, err := ingest.Setup(context.Background(), func(name string) string {
				if v, ok := lambdaEnv[name]; ok {
					return v
				}
				return fn.getenv(name)
			}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("ingest would not start: %v", err)
			}
			for token, want := range map[string]bool{current: true, tc.previous: tc.accepted, "tok_neither_of_the_two_0123456789": false} {
				if got := h.Authorized(token); got != want {
					t.Errorf("a callback with the token %.8s…: accepted %v, want %v", token, got, want)
				}
			}
		})
	}
}
