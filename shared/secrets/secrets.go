// Package secrets lets a secret setting come from AWS Secrets Manager
// instead of a plain environment variable, which anyone allowed
// lambda:GetFunctionConfiguration can read: for a setting NAME, the
// variable NAME_SECRET_ARN names a secret whose string is NAME's value.
// It is read once, when the function starts.
package secrets

import (
	"context"
	"fmt"
	"strings"
)

// Client reads a secret's string value.
type Client interface {
	GetSecret(ctx context.Context, arn string) (string, error)
}

// Suffix turns a setting's name into the name of the variable holding its
// secret's ARN.
const Suffix = "_SECRET_ARN"

// ARNs reports which of names are to come from Secrets Manager.
func ARNs(getenv func(string) string, names []string) []string {
	var out []string
	for _, name := range names {
		if strings.TrimSpace(getenv(name+Suffix)) != "" {
			out = append(out, name)
		}
	}
	return out
}

// Resolve returns getenv with the value of each of names whose
// NAME_SECRET_ARN is set read from Secrets Manager through client, each
// once, now. Setting both NAME and NAME_SECRET_ARN is an error: which one
// wins would be a guess. An error names the variable, never a value.
func Resolve(ctx context.Context, getenv func(string) string, client Client, names []string) (func(string) string, error) {
	values := map[string]string{}
	for _, name := range ARNs(getenv, names) {
		arnVar := name + Suffix
		if getenv(name) != "" {
			return nil, fmt.Errorf("%s and %s are both set: keep one (the secret's ARN keeps the value out of the function's configuration)", name, arnVar)
		}
		value, err := client.GetSecret(ctx, strings.TrimSpace(getenv(arnVar)))
		if err != nil {
			return nil, fmt.Errorf("%s: read the secret: %w", arnVar, err)
		}
		if strings.TrimSpace(value) == "" {
			return nil, fmt.Errorf("%s: the secret has no string value", arnVar)
		}
		values[name] = strings.TrimSpace(value)
	}
	if len(values) == 0 {
		return getenv, nil
	}
	return func(k string) string {
		if v, ok := values[k]; ok {
			return v
		}
		return getenv(k)
	}, nil
}
