package web

import (
	"cmp"
	"math/bits"
	"net/url"
	"slices"
	"time"

	"github.com/ewallet/ewallet/money"
)

// Spending charts: what went out by category (the movement's type) and by
// month over the last twelve months, drawn on the server as SVG. The
// geometry is in attributes and the colours in classes of app.css, so the
// strict CSP (no inline styles) holds and no chart library is needed.

// spendMonths is how far back the charts look; spendPages bounds the
// history read for them (200 movements a page).
const (
	spendMonths = 12
	spendPages  = 10
)

// bar is one bar of a chart, in the SVG's user units.
type bar struct {
	Label, Value   string
	X, Y, W, H     int
	LabelX, LabelY int
	ValueX, ValueY int
}

// chart is one SVG chart.
type chart struct {
	Width, Height int
	Bars          []bar
}

// spendTotals are the sums in minor units of one currency.
type spendTotals struct {
	byType  map[string]int64
	byMonth map[string]int64
	total   int64
}

func spending(q *req) {
	cur, err := money.ParseCurrency(q.r.URL.Query().Get("currency"))
	if err != nil {
		cur = money.CNY
	}
	now := time.Now().In(q.s.Location)
	start := time.Date(now.Year(), now.Month()-spendMonths+1, 1, 0, 0, 0, 0, q.s.Location)
	totals, e := q.spendSince(start, cur)
	if e != nil {
		q.fail(e)
		return
	}
	months := monthKeys(start, spendMonths)
	monthVals := make([]int64, len(months))
	for i, m := range months {
		monthVals[i] = totals.byMonth[m]
	}
	types := make([]string, 0, len(totals.byType))
	for t := range totals.byType {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b string) int { return cmp.Compare(totals.byType[b], totals.byType[a]) })
	typeLabels, typeVals := make([]string, len(types)), make([]int64, len(types))
	for i, t := range types {
		typeLabels[i], typeVals[i] = q.T("type."+t), totals.byType[t]
	}
	monthLabels := make([]string, len(months))
	for i, m := range months {
		monthLabels[i] = m[5:] // "2026-03" shows as "03"; the axis says which year
	}
	q.render("spending", &view{Nav: "spending", Data: map[string]any{
		"Currency": string(cur), "Currencies": currencyChoices(), "Total": formatMinor(totals.total, cur),
		"ByType": categoryChart(typeLabels, typeVals, cur), "ByMonth": monthChart(monthLabels, monthVals, cur),
		"From": months[0], "To": months[len(months)-1], "Empty": totals.total == 0,
	}})
}

// spendSince sums what went out in cur since start: completed outgoing
// movements, by type and by month.
func (q *req) spendSince(start time.Time, cur money.Currency) (spendTotals, *apiError) {
	t := spendTotals{byType: map[string]int64{}, byMonth: map[string]int64{}}
	query := url.Values{"currency": {string(cur)}, "from": {start.UTC().Format(time.RFC3339)}, "limit": {"200"}}
	for range spendPages {
		var page list[txn]
		if e := q.call(holder, "GET", "/v1/me/transactions?"+query.Encode(), "", nil, &page); e != nil {
			return t, e
		}
		for _, x := range page.Data {
			if x.Direction != "out" || x.Status != "completed" {
				continue
			}
			n, err := money.Parse(x.Amount, cur)
			if err != nil {
				continue
			}
			month := x.CreatedAt.In(q.s.Location).Format("2006-01")
			t.byType[x.Type] = addCapped(t.byType[x.Type], n)
			t.byMonth[month] = addCapped(t.byMonth[month], n)
			t.total = addCapped(t.total, n)
		}
		if !page.HasMore || len(page.Data) == 0 {
			break
		}
		query.Set("starting_after", page.Data[len(page.Data)-1].ID)
	}
	return t, nil
}

// addCapped adds with the money package's overflow check; a sum that big
// is drawn at the cap rather than wrapped.
func addCapped(a, b int64) int64 {
	s, err := money.Add(a, b)
	if err != nil {
		return money.MaxAmount
	}
	return s
}

// monthKeys are n months from start, "2006-01".
func monthKeys(start time.Time, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = start.AddDate(0, i, 0).Format("2006-01")
	}
	return out
}

// scale is v·size/max in exact integer arithmetic (128-bit product), for
// v ≤ max: bar lengths from amounts without float64.
func scale(v, max int64, size int) int {
	if max <= 0 || v <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(v), uint64(size))
	quo, _ := bits.Div64(hi, lo, uint64(max))
	return int(quo)
}

// categoryChart is horizontal bars, one row per category: they read well
// on a 360 px screen with labels of any length.
func categoryChart(labels []string, vals []int64, cur money.Currency) chart {
	const width, row, labelW, barMax = 320, 30, 96, 130
	c := chart{Width: width, Height: row*len(vals) + 4}
	top := maxOf(vals)
	for i, v := range vals {
		w := max(scale(v, top, barMax), 2)
		y := i*row + 4
		c.Bars = append(c.Bars, bar{Label: labels[i], Value: formatMinor(v, cur),
			X: labelW, Y: y, W: w, H: row - 10, LabelX: 0, LabelY: y + 15, ValueX: labelW + w + 6, ValueY: y + 15})
	}
	return c
}

// monthChart is one column per month with the month under it.
func monthChart(labels []string, vals []int64, cur money.Currency) chart {
	const width, height, base, colMax = 320, 170, 150, 130
	c := chart{Width: width, Height: height}
	step := width / len(vals)
	top := maxOf(vals)
	for i, v := range vals {
		h := scale(v, top, colMax)
		if v > 0 {
			h = max(h, 2)
		}
		x := i*step + 3
		c.Bars = append(c.Bars, bar{Label: labels[i], Value: formatMinor(v, cur),
			X: x, Y: base - h, W: step - 6, H: h, LabelX: x + (step-6)/2, LabelY: height - 4})
	}
	return c
}

func maxOf(vals []int64) int64 {
	var m int64
	for _, v := range vals {
		m = max(m, v)
	}
	return m
}
