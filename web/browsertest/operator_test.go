package browsertest

import (
	"net/url"
	"testing"
)

// TestOperatorConsole: the operator signs in with the admin token, sees
// the ledger verified, finds a user by phone and sets the KYC tier, and
// opens the reconciliation of a day with none.
func TestOperatorConsole(t *testing.T) {
	needBrowser(t)
	u := apiHolder(t, "Frank", "10.00")
	o := newTab(t)
	o.open("/app/admin/")
	o.wantText("h1", "Operator console")
	o.fill("#token", "wrong")
	o.submit("#admin-signin-submit")
	o.wantText("#token-err", "not accepted")
	o.fill("#token", adminToken)
	o.submit("#admin-signin-submit")
	o.wantText("#ledger-verdict", "Ledger intact")
	o.wantText("#ledger-chain", "intact")
	o.shot("09-operator")
	o.open("/app/admin/users?phone=" + url.QueryEscape(u.phone))
	o.wantText(".user", u.phone)
	o.choose(".user select[name=tier]", "2")
	o.submit(".user form button")
	o.wantText("#flash", "KYC tier set.")
	o.wantText(".user .kyc", "Tier 2")
	// Reconciliation: the page opens on yesterday (UTC), which a server
	// without a bank connector never reconciled.
	o.open("/app/admin/reconciliation")
	o.wantText("h1", "Reconciliation")
	o.wantText("#recon-none", "No reconciliation for this day")
}
