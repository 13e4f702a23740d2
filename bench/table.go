package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// result is one run: its circumstances and every column's values.
type result struct {
	Date     string         `json:"date"`
	Machine  string         `json:"machine"`
	Load     [2]string      `json:"load_average"` // at the start and at the end (1-minute figures)
	Size     int64          `json:"file_bytes"`
	Reps     int            `json:"repetitions"`
	Small    int            `json:"small_files"`
	Parallel int            `json:"parallel_uploads"`
	PSize    int64          `json:"parallel_bytes"`
	Idle     int            `json:"idle_sessions"`
	Columns  []columnResult `json:"columns"`
}

type columnResult struct {
	Key    string             `json:"key"`
	Title  string             `json:"title"`
	Values map[string]float64 `json:"values"`
}

// tableRow is a line of the printed table: a label and how a column's
// values make its cell.
type tableRow struct {
	group string // the -only row group that measures it
	label string
	cell  func(v map[string]float64) string
}

func (r *result) rows() []tableRow {
	withAES := func(k string) func(map[string]float64) string {
		return func(v map[string]float64) string {
			s := num(v, k, "%.0f")
			if aes, ok := v[k+"-aes"]; ok {
				s += fmt.Sprintf(" (aes %.0f)", aes)
			}
			return s
		}
	}
	f := func(k, format string) func(map[string]float64) string {
		return func(v map[string]float64) string { return num(v, k, format) }
	}
	return []tableRow{
		{"up", "upload MB/s (`sftp -b`, curl)", withAES("up")},
		{"down", "download MB/s (`sftp -b`, curl)", withAES("down")},
		{"go", "upload MB/s, Go clients", f("go-up", "%.0f")},
		{"go", "download MB/s, Go clients", f("go-down", "%.0f")},
		{"up", "server CPU during upload, % of a core", f("cpu", "%.0f")},
		{"up", "server CPU per MB uploaded, ms", f("cpu-ms", "%.1f")},
		{"small", fmt.Sprintf("%d × 4 KiB in one session, files/s", r.Small), f("small", "%.0f")},
		{"parallel", fmt.Sprintf("%d × %s in parallel, MB/s", r.Parallel, sizeText(r.PSize)), f("parallel", "%.0f")},
		{"parallel", fmt.Sprintf("peak server memory during those %d uploads, MiB", r.Parallel), f("parallel-mem", "%.0f")},
		{"idle", fmt.Sprintf("memory per idle logged-in session (%d sessions), KiB", r.Idle), f("idle", "%.0f")},
	}
}

func num(v map[string]float64, k, format string) string {
	x, ok := v[k]
	if !ok || math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf(format, x)
}

// markdown prints the table with the rows that were measured.
func (r *result) markdown(w io.Writer, groups map[string]bool) {
	fmt.Fprintf(w, "%s, %s, load average %s at the start and %s at the end; %s files, median of %d\n\n",
		r.Date, r.Machine, r.Load[0], r.Load[1], sizeText(r.Size), r.Reps)
	head := []string{""}
	sep := []string{"---"}
	for _, c := range r.Columns {
		head = append(head, c.Title)
		sep = append(sep, "---")
	}
	fmt.Fprintf(w, "| %s |\n|%s|\n", strings.Join(head, " | "), strings.Join(sep, "|"))
	for _, row := range r.rows() {
		if !groups[row.group] {
			continue
		}
		cells := []string{row.label}
		for _, c := range r.Columns {
			cells = append(cells, row.cell(c.Values))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

func (r *result) json(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// sizeText is n bytes as "1 GiB", "50 MiB", "4 KiB" or "123 bytes".
func sizeText(n int64) string {
	for _, u := range []struct {
		s string
		b int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.b && n%u.b == 0 {
			return fmt.Sprintf("%d %s", n/u.b, u.s)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// parseSize reads "1GiB", "256MiB", "64KiB" or a number of bytes.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		s string
		b int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if v, ok := strings.CutSuffix(t, u.s); ok {
			t, mult = strings.TrimSpace(v), u.b
			break
		}
	}
	var n int64
	if _, err := fmt.Sscanf(t, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != t {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, or one with KiB, MiB or GiB", s)
	}
	return n * mult, nil
}
