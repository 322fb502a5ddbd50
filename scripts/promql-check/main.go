// promql-check parses PromQL expressions with Prometheus' own parser and prints,
// for each one, the metric names its selectors select (or the parse error).
//
// Input (stdin): a JSON array of strings. Output (stdout): a JSON array of
// {"expr": "...", "metrics": ["..."], "error": "..."} in the same order.
// Exit code: 0 when every expression parsed, 1 when any did not, 2 on bad input.
// The tests use it to check that alert rules and dashboard queries parse and
// refer only to metrics the code registers.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

type result struct {
	Expr    string   `json:"expr"`
	Metrics []string `json:"metrics"`
	Error   string   `json:"error,omitempty"`
}

// metricNames returns the sorted, distinct metric names selected by expr's
// vector and matrix selectors: the bare name or an equality matcher on __name__.
// A selector without either (e.g. {job="x"}) is reported as "{...}" so callers
// can refuse it: it cannot be checked against a list of names.
func metricNames(expr parser.Expr) []string {
	seen := map[string]bool{}
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		selector, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := selector.Name
		if name == "" {
			for _, matcher := range selector.LabelMatchers {
				if matcher.Name == labels.MetricName && matcher.Type == labels.MatchEqual {
					name = matcher.Value
				}
			}
		}
		if name == "" {
			name = "{...}"
		}
		seen[name] = true
		return nil
	})
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "promql-check: reading stdin: %v\n", err)
		os.Exit(2)
	}
	var expressions []string
	if err := json.Unmarshal(input, &expressions); err != nil {
		fmt.Fprintf(os.Stderr, "promql-check: stdin must be a JSON array of PromQL strings: %v\n", err)
		os.Exit(2)
	}
	// Default options: the stable PromQL that a stock Prometheus server accepts.
	promql := parser.NewParser(parser.Options{})
	results := make([]result, 0, len(expressions))
	failed := false
	for _, text := range expressions {
		expr, err := promql.ParseExpr(text)
		if err != nil {
			failed = true
			results = append(results, result{Expr: text, Metrics: []string{}, Error: err.Error()})
			continue
		}
		results = append(results, result{Expr: text, Metrics: metricNames(expr)})
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", "  ")
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(results); err != nil {
		fmt.Fprintf(os.Stderr, "promql-check: writing stdout: %v\n", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}
