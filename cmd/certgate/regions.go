package main

import (
	"fmt"
	"regexp"
	"strings"

	awsapi "github.com/certgate/certgate/api/aws"
)

// regions returns the regions served.
func (c *Config) regions() ([]string, error) {
	if strings.TrimSpace(c.Regions) == "" {
		return awsapi.DefaultRegions, nil
	}
	var out []string
	for _, r := range strings.Split(c.Regions, ",") {
		r = strings.TrimSpace(r)
		if len(r) > 32 || !regionPattern.MatchString(r) {
			return nil, fmt.Errorf("%q is not a region code (at most 32 lowercase letters, digits and '-', like us-east-1)", r)
		}
		out = append(out, r)
	}
	return out, nil
}

var regionPattern = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
