package gwconfig

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Reasons of the API group errors.
const (
	// ReasonNoGroup: ENotFound for a group that does not exist, or is in
	// another instance or account.
	ReasonNoGroup = "no_group"
	// ReasonDuplicateGroupName: EConflict; Value is the name.
	ReasonDuplicateGroupName = "duplicate_group_name"
	// ReasonGroupHasAPIs: EConflict on delete; Got is how many APIs.
	ReasonGroupHasAPIs = "group_has_apis"
	// ReasonMissing: EInvalid; Field is required.
	ReasonMissing = "missing"
	// ReasonTooLong: EInvalid; Field has Got characters, more than Limit.
	ReasonTooLong = "too_long"
	// ReasonUnsupported: EInvalid; Field is a feature certgate does not
	// have.
	ReasonUnsupported = "unsupported"
)

// MaxRemarkLen is the longest remark of a group, in characters.
const MaxRemarkLen = 1000

// groupNameRe is Huawei's rule for API group names: 3 to 255 characters,
// letters (Chinese included), digits and -_./(): with the Chinese
// enumeration comma and full-width brackets and colon, starting with a
// letter or digit.
var groupNameRe = regexp.MustCompile(`^[A-Za-z0-9\p{Han}][A-Za-z0-9\p{Han}\-_./():、（）：]{2,254}$`)

func checkGroupName(name string) error {
	if name == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "name", Message: "name is required"}
	}
	if !groupNameRe.MatchString(name) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadName, Field: "name", Value: certgate.Clip(name),
			Message: "an API group name is 3 to 255 letters, digits and -_./():, starting with a letter or digit"}
	}
	return nil
}

func checkRemark(remark string) error {
	if n := utf8.RuneCountInString(remark); n > MaxRemarkLen {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTooLong, Field: "remark", Limit: MaxRemarkLen, Got: n,
			Message: fmt.Sprintf("remark must be at most %d characters", MaxRemarkLen)}
	}
	return nil
}

// GroupInput is a new group.
type GroupInput struct {
	Name   string
	Remark string
	// RomaAppID and Version are Huawei features certgate does not have;
	// set, they are refused rather than ignored.
	RomaAppID string
	Version   string
}

// CreateGroup adds a group to the account's instance.
func (s *Service) CreateGroup(ctx context.Context, accountID, instanceID string, in GroupInput) (*certgate.APIGroup, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	if in.RomaAppID != "" {
		return nil, unsupported("roma_app_id", "integration applications (ROMA) are not supported")
	}
	if in.Version != "" && in.Version != "V1" {
		return nil, unsupported("version", "only global (V1) API groups are supported")
	}
	if err := checkGroupName(in.Name); err != nil {
		return nil, err
	}
	if err := checkRemark(in.Remark); err != nil {
		return nil, err
	}
	id, err := newID(s.random)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	g := &certgate.APIGroup{ID: id, AccountID: accountID, InstanceID: instanceID, Name: in.Name, Remark: in.Remark, SLDomainAccess: true,
		CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateGroup(ctx, g); err != nil {
		return nil, groupError(err, g.ID, g.Name)
	}
	return g, nil
}

func unsupported(field, msg string) error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonUnsupported, Field: field, Message: msg}
}

// groupError gives a store error on a group the core's reason.
func groupError(err error, id, name string) error {
	e := certgate.AsError(err)
	switch {
	case e == nil:
		return err
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoInstance:
		return noInstance(err)
	case e.Code == certgate.ENotFound:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoGroup, Value: certgate.Clip(id),
			Message: "API group not found", Err: err}
	case e.Code == certgate.EConflict && e.Reason == "duplicate_name":
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonDuplicateGroupName, Field: "name",
			Value: certgate.Clip(name), Message: "an API group of this name already exists in the instance", Err: err}
	}
	return err
}

// Group returns one group; a missing instance is reported before a
// missing group.
func (s *Service) Group(ctx context.Context, accountID, instanceID, id string) (*certgate.APIGroup, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, err
	}
	g, err := s.store.GetGroup(ctx, accountID, instanceID, id)
	if err != nil {
		return nil, groupError(err, id, "")
	}
	return g, nil
}

// GroupFilter selects groups; empty fields match anything.
type GroupFilter struct {
	ID      string // exact
	Name    string // substring, or exact when Precise
	Precise bool
}

// ListGroups returns one page of the instance's groups that match f, in
// creation order, with the number that match.
func (s *Service) ListGroups(ctx context.Context, accountID, instanceID string, f GroupFilter, offset, limit int) ([]*certgate.APIGroup, int64, error) {
	if _, err := s.Instance(ctx, accountID, instanceID); err != nil {
		return nil, 0, err
	}
	all, err := s.store.ListGroups(ctx, accountID, instanceID)
	if err != nil {
		return nil, 0, err
	}
	var match []*certgate.APIGroup
	for _, g := range all {
		name := strings.Contains(g.Name, f.Name)
		if f.Precise && f.Name != "" {
			name = g.Name == f.Name
		}
		if (f.ID == "" || g.ID == f.ID) && name {
			match = append(match, g)
		}
	}
	return page(match, offset, limit), int64(len(match)), nil
}

// GroupUpdate is what UpdateGroup changes: the name always (Huawei's PUT
// requires it), the remark when set.
type GroupUpdate struct {
	Name   string
	Remark *string
}

// UpdateGroup renames a group or changes its remark. It retries a lost
// optimistic-concurrency race a few times, each time from the record it
// then reads.
func (s *Service) UpdateGroup(ctx context.Context, accountID, instanceID, id string, u GroupUpdate) (*certgate.APIGroup, error) {
	if err := checkGroupName(u.Name); err != nil {
		return nil, err
	}
	if u.Remark != nil {
		if err := checkRemark(*u.Remark); err != nil {
			return nil, err
		}
	}
	return s.changeGroup(ctx, accountID, instanceID, id, u.Name, func(g *certgate.APIGroup) {
		g.Name = u.Name
		if u.Remark != nil {
			g.Remark = *u.Remark
		}
	})
}

// SetSLDomainAccess turns the group's debugging domain on or off
// (UpdateSlDomainSettingV2).
func (s *Service) SetSLDomainAccess(ctx context.Context, accountID, instanceID, id string, enabled bool) (*certgate.APIGroup, error) {
	return s.changeGroup(ctx, accountID, instanceID, id, "", func(g *certgate.APIGroup) { g.SLDomainAccess = enabled })
}

// changeGroup applies change to the stored group, retrying a lost race
// from the record it then reads.
func (s *Service) changeGroup(ctx context.Context, accountID, instanceID, id, name string, change func(*certgate.APIGroup)) (*certgate.APIGroup, error) {
	for attempt := 0; ; attempt++ {
		g, err := s.Group(ctx, accountID, instanceID, id)
		if err != nil {
			return nil, err
		}
		change(g)
		g.UpdatedAt = s.clock()
		err = s.store.UpdateGroup(ctx, g)
		if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && e.Reason == "version" && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, groupError(err, id, name)
		}
		return g, nil
	}
}

// DeleteGroup removes a group with its domains and their bindings. A group
// that still holds APIs is refused (the store counts them in the delete's
// transaction).
func (s *Service) DeleteGroup(ctx context.Context, accountID, instanceID, id string) error {
	if _, err := s.Group(ctx, accountID, instanceID, id); err != nil {
		return err
	}
	err := s.store.DeleteGroup(ctx, accountID, instanceID, id)
	if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && e.Reason == store.ReasonGroupHasAPIs {
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonGroupHasAPIs, Got: e.Got,
			Message: fmt.Sprintf("the API group still holds %d API(s)", e.Got), Err: err}
	}
	if err != nil {
		return groupError(err, id, "")
	}
	return nil
}

// SLDomain is the group's debugging domain, {group_id}.apic.{suffix},
// which the data plane will route to the group.
func (s *Service) SLDomain(g *certgate.APIGroup) string { return g.ID + ".apic." + s.suffix }

// DefaultDomainSuffix is the default suffix of SLDomain.
const DefaultDomainSuffix = "certgate.local"

var labelRe = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// CheckDomainSuffix reports whether suffix can end a debugging domain: a
// lowercase DNS name of at least two labels, short enough that
// "{32 hex}.apic." before it stays within 253 characters.
func CheckDomainSuffix(suffix string) error {
	const prefix = 32 + len(".apic.")
	labels := strings.Split(suffix, ".")
	if len(suffix) == 0 || len(suffix)+prefix > 253 || len(labels) < 2 {
		return fmt.Errorf("the gateway domain suffix must be a DNS name of at least two labels and at most %d characters, got %q", 253-prefix, suffix)
	}
	for _, l := range labels {
		if !labelRe.MatchString(l) {
			return fmt.Errorf("the gateway domain suffix %q has a bad label %q: labels are 1 to 63 lowercase letters, digits and inner hyphens", suffix, l)
		}
	}
	return nil
}

// WithDomainSuffix sets the suffix of SLDomain (default
// DefaultDomainSuffix); the caller has checked it with CheckDomainSuffix.
func WithDomainSuffix(suffix string) Option { return func(s *Service) { s.suffix = suffix } }

func newID(random io.Reader) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
