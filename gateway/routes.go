package gateway

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/gwconfig"
	"github.com/certgate/certgate/store"
)

// routes is what requests are routed by at one revision: Huawei's groups
// with their published APIs per environment, and AWS's stages with their
// deployments' resource trees.
type routes struct {
	groups map[string]*hwGroup // by group id
	// sl holds the groups by debugging domain ({id}.apic.{suffix}), those
	// whose access is on; slOff those whose access is off.
	sl    map[string]*hwGroup
	slOff map[string]bool
	// stages by lower-case REST API id, then stage name.
	stages map[string]map[string]*awsStage
}

// hwGroup is an API group as the data plane serves it.
type hwGroup struct {
	group *certgate.APIGroup
	// envs holds the group's published routes by environment name
	// (RELEASE and the instance's own).
	envs map[string]*hwTable
	// backendCert is the instance's backend client certificate, presented
	// to the backends of APIs with enable_client_ssl (nil: none set).
	backendCert *parsed
}

// awsStage is a stage as the data plane serves it.
type awsStage struct {
	stage *certgate.Stage
	api   *certgate.RestAPI
	root  *awsNode
	// cert is the stage's client certificate (nil: none), presented to
	// every HTTP integration.
	cert *parsed
}

func newRoutes() *routes {
	return &routes{groups: map[string]*hwGroup{}, sl: map[string]*hwGroup{}, slOff: map[string]bool{},
		stages: map[string]map[string]*awsStage{}}
}

// compiled caches what is derived from immutable records, kept across
// rebuilds: a version's route by version id, a deployment's tree by
// deployment id. Neither record ever changes once written.
type compiled struct {
	versions    map[string]*hwRoute
	deployments map[string]*awsNode
}

// buildRoutes compiles rt. Certificates are parsed through certOf, which
// caches them with the domains' ones. A record that cannot be compiled is
// logged and left out; the rest is served.
func (g *Gateway) buildRoutes(rt *store.Routes, certOf func(*certgate.Certificate) *parsed) *routes {
	out := newRoutes()
	if rt == nil {
		return out
	}
	prev := g.compiled
	next := compiled{versions: map[string]*hwRoute{}, deployments: map[string]*awsNode{}}

	backend := map[string]*parsed{}                   // by instance id
	client := map[certgate.Scope]map[string]*parsed{} // by scope, then id
	for _, c := range rt.Certificates {
		p := certOf(c)
		if p == nil {
			continue
		}
		switch c.Kind {
		case certgate.KindBackend:
			backend[c.InstanceID] = p
		case certgate.KindClient:
			if client[c.Scope] == nil {
				client[c.Scope] = map[string]*parsed{}
			}
			client[c.Scope][c.ID] = p
		}
	}

	envName := map[string]string{} // by environment id
	for _, e := range rt.Environments {
		envName[e.ID] = e.Name
	}
	for _, gr := range rt.Groups {
		hg := &hwGroup{group: gr, envs: map[string]*hwTable{}, backendCert: backend[gr.InstanceID]}
		out.groups[gr.ID] = hg
		sl := normalHost(gr.ID + ".apic." + g.suffix())
		if gr.SLDomainAccess {
			out.sl[sl] = hg
		} else {
			out.slOff[sl] = true
		}
	}
	for _, v := range rt.Versions {
		hg := out.groups[v.API.GroupID]
		if hg == nil || hg.group.AccountID != v.AccountID {
			continue
		}
		name := certgate.ReleaseEnvironmentName
		if v.EnvID != certgate.ReleaseEnvironmentID {
			if name = envName[v.EnvID]; name == "" {
				continue // its environment is gone
			}
		}
		r := prev.versions[v.ID]
		if r == nil {
			var err error
			if r, err = compileVersion(v); err != nil {
				g.log.Error("gateway: a published API cannot be served", "api", v.APIID, "version", v.ID, "error", err)
				continue
			}
		}
		next.versions[v.ID] = r
		t := hg.envs[name]
		if t == nil {
			t = &hwTable{}
			hg.envs[name] = t
		}
		t.routes = append(t.routes, r)
	}
	for _, hg := range out.groups {
		for _, t := range hg.envs {
			slices.SortFunc(t.routes, hwLess)
		}
	}

	for _, ss := range rt.Stages {
		root := prev.deployments[ss.Deployment.ID]
		if root == nil {
			var err error
			if root, err = compileDeployment(ss.Deployment); err != nil {
				g.log.Error("gateway: a deployment cannot be served", "rest_api", ss.Stage.APIID, "deployment", ss.Deployment.ID, "error", err)
				continue
			}
		}
		next.deployments[ss.Deployment.ID] = root
		st := &awsStage{stage: ss.Stage, api: ss.API, root: root}
		if id := ss.Stage.ClientCertificateID; id != "" {
			if st.cert = client[ss.Stage.Scope][id]; st.cert == nil {
				// Never call the backend without the certificate it
				// was configured to present: the stage is left out
				// until its certificate can be read.
				g.log.Error("gateway: a stage's client certificate cannot be presented; the stage is not served",
					"rest_api", ss.Stage.APIID, "stage", ss.Stage.Name, "client_certificate", id)
				continue
			}
		}
		id := strings.ToLower(ss.Stage.APIID)
		if out.stages[id] == nil {
			out.stages[id] = map[string]*awsStage{}
		}
		out.stages[id][ss.Stage.Name] = st
	}
	g.compiled = next
	return out
}

// compileVersion parses a published version's paths.
func compileVersion(v *certgate.APIVersion) (*hwRoute, error) {
	a := &v.API
	tmpl, err := gwconfig.ParseFrontendURI(a.Path)
	if err != nil {
		return nil, err
	}
	r := &hwRoute{v: v, api: a, method: a.Method, tmpl: tmpl, swa: a.MatchMode == "SWA"}
	if a.Spec.BackendType == "HTTP" {
		if a.Spec.Backend == nil {
			return nil, fmt.Errorf("an HTTP backend without its definition")
		}
		if r.backend, err = gwconfig.ParseBackendURI(a.Spec.Backend.Path); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// deployedMethod is a method as a deployment's snapshot holds it.
type deployedMethod struct {
	ResourceID string `json:"resourceId"`
	HTTPMethod string `json:"httpMethod"`
	*certgate.Method
}

// compileDeployment builds a deployment's resource tree from its snapshot.
func compileDeployment(d *certgate.Deployment) (*awsNode, error) {
	var snap struct {
		Resources []struct {
			ID   string `json:"id"`
			Path string `json:"path"`
		} `json:"resources"`
		Methods []deployedMethod `json:"methods"`
	}
	if err := json.Unmarshal([]byte(d.Snapshot), &snap); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	root := &awsNode{path: "/"}
	byID := map[string]*awsNode{}
	for _, res := range snap.Resources {
		n := root
		for _, part := range splitPath(res.Path) {
			n = n.child(part)
		}
		n.resource = res.ID
		byID[res.ID] = n
	}
	for _, m := range snap.Methods {
		n := byID[m.ResourceID]
		if n == nil || m.Method == nil {
			continue
		}
		if n.methods == nil {
			n.methods = map[string]*certgate.Method{}
		}
		n.methods[m.HTTPMethod] = m.Method
	}
	return root, nil
}

// child returns (making it) n's child for one path part.
func (n *awsNode) child(part string) *awsNode {
	path := strings.TrimSuffix(n.path, "/") + "/" + part
	switch {
	case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "+}"):
		if n.greedy == nil {
			n.greedy = &awsNode{path: path, name: part[1 : len(part)-2]}
		}
		return n.greedy
	case strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}"):
		if n.param == nil {
			n.param = &awsNode{path: path, name: part[1 : len(part)-1]}
		}
		return n.param
	}
	if n.literal == nil {
		n.literal = map[string]*awsNode{}
	}
	c := n.literal[part]
	if c == nil {
		c = &awsNode{path: path}
		n.literal[part] = c
	}
	return c
}
