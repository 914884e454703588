package nicechat

import (
	"crypto/sha256"
	"encoding/base32"
	"unsafe"
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

// EventIDString is EventID of a body held as a string. It hashes the
// string's bytes where they are: a copy would cost as much as the hash.
func EventIDString(body string) string {
	// The hash only reads its input, so the string's immutable bytes may
	// be viewed as a slice for the call.
	return EventID(unsafe.Slice(unsafe.StringData(body), len(body)))
}
