package infra_test

import (
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/consumer"
)

// A channel that pauses itself logs the command that resumes it, whole:
// deployed, that names the stack, which the template gives each consumer
// (Lambda gives only the function's name, and a stack's name may hold
// the dashes CloudFormation joins it to the function's with).
func TestAPausedChannelsLogNamesItsStackInTheResumeCommand(t *testing.T) {
	s := newStack(t, loadTemplate(t), allChannels)
	for _, spec := range channels.All {
		t.Run(spec.Name, func(t *testing.T) {
			f := s.function(functionID(spec))
			getenv := func(name string) string {
				if name == consumer.EnvFunctionName { // Lambda's, not the template's
					return testStackName + "-" + f.ID + "-AbCdEf012345"
				}
				return f.getenv(name)
			}
			want := "go run ./cmd/relayctl channel resume --stack " + testStackName + " --channel " + spec.Name
			if got := consumer.ResumeCommand(spec.Name, getenv); got != want {
				t.Errorf("the resume command is %q, want %q", got, want)
			}
		})
	}
}
