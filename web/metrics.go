package web

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// glance is the operator's summary of /metrics.
type glance struct {
	Requests      string
	ServerErrors  string
	Commits       string
	MeanCommit    string // milliseconds
	TransfersKind []kindCount
	Available     bool
}

type kindCount struct {
	Kind  string
	Count string
}

// metricsAtAGlance reads the API's Prometheus text in-process and sums the
// few series an operator looks at first. These are counters and seconds,
// not money, so floats are what they are.
func metricsAtAGlance(q *req) glance {
	ans, e := q.send(public, "GET", "/metrics", "", nil)
	if e != nil {
		return glance{}
	}
	var requests, errors5xx, commits, commitSum float64
	kinds := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(ans.body.Bytes()))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, labels, v, ok := parseSample(sc.Text())
		if !ok {
			continue
		}
		switch name {
		case "ewallet_http_request_duration_seconds_count":
			requests += v
			if strings.HasPrefix(labels["status"], "5") {
				errors5xx += v
			}
		case "ewallet_ledger_commit_seconds_count":
			commits += v
		case "ewallet_ledger_commit_seconds_sum":
			commitSum += v
		case "ewallet_ledger_transfers_total":
			kinds[labels["kind"]] += v
		}
	}
	g := glance{Available: true, Requests: count(requests), ServerErrors: count(errors5xx), Commits: count(commits), MeanCommit: "–"}
	if commits > 0 {
		g.MeanCommit = fmt.Sprintf("%.2f", commitSum/commits*1000)
	}
	for k, v := range kinds {
		g.TransfersKind = append(g.TransfersKind, kindCount{k, count(v)})
	}
	sort.Slice(g.TransfersKind, func(i, j int) bool { return g.TransfersKind[i].Kind < g.TransfersKind[j].Kind })
	return g
}

func count(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

// parseSample reads one sample line of the Prometheus text format:
// name{label="value",…} value.
func parseSample(line string) (name string, labels map[string]string, v float64, ok bool) {
	if line == "" || line[0] == '#' {
		return "", nil, 0, false
	}
	labels = map[string]string{}
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", nil, 0, false
		}
		name, rest = line[:i], line[j+1:]
		for _, kv := range strings.Split(line[i+1:j], ",") {
			k, val, found := strings.Cut(kv, "=")
			if found {
				labels[strings.TrimSpace(k)] = strings.Trim(val, `"`)
			}
		}
	} else {
		sp := strings.IndexByte(line, ' ')
		if sp < 0 {
			return "", nil, 0, false
		}
		name, rest = line[:sp], line[sp:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	return name, labels, v, err == nil
}
