package web

// home is the wallet's first screen: balances per currency, what needs
// doing (no PIN, no card, frozen) and the latest movements.
func home(q *req) {
	var me user
	if e := q.call(holder, "GET", "/v1/me", "", nil, &me); e != nil {
		q.fail(e)
		return
	}
	var bs list[balance]
	if e := q.call(holder, "GET", "/v1/me/balances", "", nil, &bs); e != nil {
		q.fail(e)
		return
	}
	var recent list[txn]
	if e := q.call(holder, "GET", "/v1/me/transactions?limit=5", "", nil, &recent); e != nil {
		q.fail(e)
		return
	}
	var cards list[card]
	if e := q.call(holder, "GET", "/v1/me/cards", "", nil, &cards); e != nil {
		q.fail(e)
		return
	}
	if len(bs.Data) == 0 {
		bs.Data = []balance{{Currency: "CNY", Available: "0.00", Pending: "0.00", Total: "0.00"}}
	}
	q.render("home", &view{Nav: "home", Flash: q.flash(), Data: map[string]any{
		"Me": me, "Balances": bs.Data, "Recent": recent.Data, "HasCard": len(cards.Data) > 0,
	}})
}
