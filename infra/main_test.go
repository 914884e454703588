package infra_test

import (
	"os"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }
