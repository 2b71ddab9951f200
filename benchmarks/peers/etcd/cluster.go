package main

// What the JSON records about the cluster under test: its members, and per endpoint the server
// version, raft term and which member leads. Best effort: a failure is recorded, not fatal.

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type memberInfo struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peer_urls"`
	ClientURLs []string `json:"client_urls"`
}

type endpointInfo struct {
	Endpoint string `json:"endpoint"`
	MemberID string `json:"member_id,omitempty"`
	Version  string `json:"version,omitempty"`
	Leader   string `json:"leader,omitempty"`
	RaftTerm uint64 `json:"raft_term,omitempty"`
	DBSize   int64  `json:"db_size_bytes,omitempty"`
	Error    string `json:"error,omitempty"`
}

type clusterInfo struct {
	Version   string         `json:"version,omitempty"`
	Leader    string         `json:"leader,omitempty"` // member name (id when unnamed)
	Members   []memberInfo   `json:"members"`
	Endpoints []endpointInfo `json:"endpoints"`
	Error     string         `json:"error,omitempty"`
}

func describeCluster(cli *clientv3.Client, endpoints []string) clusterInfo {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	info := clusterInfo{Members: []memberInfo{}, Endpoints: []endpointInfo{}}
	names := map[uint64]string{}
	if ml, err := cli.MemberList(ctx); err != nil {
		info.Error = "member list: " + err.Error()
	} else {
		for _, m := range ml.Members {
			id := fmt.Sprintf("%x", m.ID)
			names[m.ID] = m.Name
			if m.Name == "" {
				names[m.ID] = id
			}
			info.Members = append(info.Members, memberInfo{ID: id, Name: m.Name, PeerURLs: m.PeerURLs,
				ClientURLs: m.ClientURLs})
		}
	}
	for _, ep := range endpoints {
		e := endpointInfo{Endpoint: ep}
		if st, err := cli.Status(ctx, ep); err != nil {
			e.Error = err.Error()
		} else {
			e.MemberID = fmt.Sprintf("%x", st.Header.MemberId)
			e.Version = st.Version
			e.Leader = fmt.Sprintf("%x", st.Leader)
			e.RaftTerm = st.RaftTerm
			e.DBSize = st.DbSize
			info.Version = st.Version
			if name, ok := names[st.Leader]; ok {
				info.Leader = name
			} else if info.Leader == "" {
				info.Leader = e.Leader
			}
		}
		info.Endpoints = append(info.Endpoints, e)
	}
	return info
}
