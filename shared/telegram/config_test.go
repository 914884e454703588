package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

func TestConfigFromEnv(t *testing.T) {
	required := map[string]string{EnvBotToken: token, EnvChatID: chatID}
	with := func(kv ...string) map[string]string {
		env := map[string]string{EnvBotToken: token, EnvChatID: chatID}
		for i := 0; i+1 < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	tests := []struct {
		name       string
		env        map[string]string
		check      func(t *testing.T, c Config)
		wantErr    string
		wantErrToo string
	}{
		{name: "takes the defaults", env: required, check: func(t *testing.T, c Config) {
			if c.BotToken != token || c.ChatID != chatID || c.APIURL != "https://api.telegram.org" {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "trims the values", env: with(EnvBotToken, " "+token+"\n", EnvChatID, " @nicechat_orders "), check: func(t *testing.T, c Config) {
			if c.BotToken != token || c.ChatID != "@nicechat_orders" {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "reads a local Bot API server, the timeout and the pace", env: with(EnvAPIURL, "http://127.0.0.1:8081", EnvTimeout, "3", EnvMinInterval, "1500ms"),
			check: func(t *testing.T, c Config) {
				if c.APIURL != "http://127.0.0.1:8081" || c.Timeout != 3*time.Second || c.Interval != 1500*time.Millisecond {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "takes a user's positive chat id", env: with(EnvChatID, "987654321"), check: func(t *testing.T, c Config) {
			if c.ChatID != "987654321" {
				t.Errorf("chat id = %q", c.ChatID)
			}
		}},
		{name: "requires the token", env: map[string]string{EnvChatID: chatID}, wantErr: "TELEGRAM_BOT_TOKEN is required"},
		{name: "requires the chat id", env: map[string]string{EnvBotToken: token}, wantErr: "TELEGRAM_CHAT_ID is required"},
		{name: "names the token first when nothing is set", env: nil, wantErr: "TELEGRAM_BOT_TOKEN is required"},
		{name: "rejects a token without its bot id", env: with(EnvBotToken, secret), wantErr: EnvBotToken},
		{name: "rejects a token with a short secret", env: with(EnvBotToken, "123456789:"+secret[:19]), wantErr: EnvBotToken},
		{name: "rejects a token with a stray character", env: with(EnvBotToken, token+"/"), wantErr: EnvBotToken},
		{name: "rejects the bot's username for a token", env: with(EnvBotToken, "@nicechat_relay_bot"), wantErr: EnvBotToken},
		{name: "rejects a chat id that is a name without @", env: with(EnvChatID, "nicechat_orders"), wantErr: EnvChatID},
		{name: "rejects a channel name under 5 characters", env: with(EnvChatID, "@shop"), wantErr: EnvChatID},
		{name: "rejects a channel name with a dash", env: with(EnvChatID, "@nice-chat"), wantErr: EnvChatID},
		{name: "rejects a chat id beyond 64 bits", env: with(EnvChatID, "-99999999999999999999"), wantErr: EnvChatID},
		{name: "rejects chat id 0", env: with(EnvChatID, "0"), wantErr: EnvChatID},
		{name: "rejects a chat id with a plus sign", env: with(EnvChatID, "+12345"), wantErr: EnvChatID},
		{name: "rejects the token pasted as the chat id, without quoting it", env: with(EnvChatID, token), wantErr: EnvChatID},
		{name: "rejects an API URL that is not http(s)", env: with(EnvAPIURL, "api.telegram.org"), wantErr: EnvAPIURL},
		{name: "rejects an API URL with a query", env: with(EnvAPIURL, "https://api.telegram.org/?x=1"), wantErr: EnvAPIURL},
		{name: "rejects an API URL with a fragment", env: with(EnvAPIURL, "https://api.telegram.org/#x"), wantErr: EnvAPIURL},
		{name: "rejects a chat link too long for a message", env: with("CHAT_URL_TEMPLATE", "https://x.example/c/{chat_id}?p="+strings.Repeat("p", 1000)), wantErr: "CHAT_URL_TEMPLATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.wantErrToo) {
					t.Fatalf("err = %v, want one naming %s and saying %q", err, tc.wantErr, tc.wantErrToo)
				}
				if strings.Contains(err.Error(), secret[:12]) {
					t.Errorf("the error quotes the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestConfigFromEnvReadsTheHumaneSettings(t *testing.T) {
	humanetest.CheckSettings(t, humanetest.Settings{
		Env: env, Defaults: humane.Defaults, Required: map[string]string{EnvBotToken: token, EnvChatID: chatID}, Secret: secret[:12],
		Read: func(getenv func(string) string) (humane.Settings, error) {
			c, err := ConfigFromEnv(getenv)
			return c.settings(), err
		},
	})
}

func TestValidateChecksAConfigBuiltInCode(t *testing.T) {
	valid := Config{BotToken: token, ChatID: chatID}
	tests := []struct {
		name    string
		change  func(c *Config)
		wantErr string // empty: valid
	}{
		{name: "zero values stand for the defaults", change: func(c *Config) {}},
		{name: "a full config", change: func(c *Config) {
			*c = Config{BotToken: token, ChatID: "@nicechat_orders", APIURL: "https://api.telegram.org", Timeout: time.Second, Interval: time.Second,
				Humanize: humanize.Options{ChatURLTemplate: "https://x.example/c/{chat_id}"}}
		}},
		{name: "no token", change: func(c *Config) { c.BotToken = "" }, wantErr: EnvBotToken},
		{name: "a malformed token", change: func(c *Config) { c.BotToken = "123:abc" }, wantErr: EnvBotToken},
		{name: "no chat", change: func(c *Config) { c.ChatID = "" }, wantErr: EnvChatID},
		{name: "a malformed chat id", change: func(c *Config) { c.ChatID = "12 34" }, wantErr: EnvChatID},
		{name: "an API URL without a scheme", change: func(c *Config) { c.APIURL = "//api.telegram.org" }, wantErr: EnvAPIURL},
		{name: "a negative timeout", change: func(c *Config) { c.Timeout = -time.Second }, wantErr: EnvTimeout},
		{name: "an interval over five minutes", change: func(c *Config) { c.Interval = time.Hour }, wantErr: EnvMinInterval},
		{name: "a chat link too long", change: func(c *Config) {
			c.Humanize.ChatURLTemplate = "https://x.example/c/{chat_id}?p=" + strings.Repeat("&", 250)
		}, wantErr: "CHAT_URL_TEMPLATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid
			tc.change(&c)
			err := c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				if _, err := New(c, Deps{}); err != nil {
					t.Fatalf("New = %v, want a channel", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.wantErr)
			}
			if _, nerr := New(c, Deps{}); nerr == nil || nerr.Error() != err.Error() {
				t.Errorf("New = %v, want Validate's error", nerr)
			}
		})
	}
}
