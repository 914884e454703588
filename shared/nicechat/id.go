package nicechat

import (
	"crypto/sha256"
	"encoding/base32"
)

// idEncoding is lower-case RFC 4648 base32 without padding: URL-safe and
// case-insensitive-safe.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// EventID derives a stable id from the body, because Nice Chat sends none:
// the same bytes always give the same id (a redelivered callback keeps its
// id, so receivers can de-duplicate on webhook-id), and different bytes a
// different one. It is "evt_" and 26 base32 characters (130 bits) of the
// body's SHA-256.
func EventID(raw []byte) string {
	sum := sha256.Sum256(raw)
	var buf [4 + 26]byte
	copy(buf[:], "evt_")
	var enc [52]byte
	idEncoding.Encode(enc[:], sum[:])
	copy(buf[4:], enc[:26])
	return string(buf[:])
}
