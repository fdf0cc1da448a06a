// Package purse runs stored-value cards (e-purses) for the wallet: it
// issues cards to wallets, loads them online from the wallet's balance,
// registers merchants' terminals, clears the purchase records terminals
// upload, keeps the deny list and refunds a lost card's rest. The protocol
// (messages, MACs, TACs, the card, the SAM, clearing decisions) is package
// epurse; this package is the business around it: storage, money and the
// rules a person sees.
//
// Money. Each card has its own ledger account, epurse:<number>:CNY, that
// may not go negative; together they are the e-purse float of DESIGN.md.
// Every movement is one ledger transfer:
//
//   - load:     wallet → card account (kind epurse_load, with the wallet's
//     PIN, freeze and limit checks), before MAC2 goes to the card;
//   - reversal: card account → wallet, for a load the card provably never
//     took (its next INITIALIZE FOR LOAD shows the same online counter);
//   - clearing: card account → the terminal's merchant, one transfer per
//     record with the ID epurse:clr:<card>:<counter>, so the ledger itself
//     refuses to clear one card counter twice;
//   - refund:   card account → wallet, once, epurse:refund:<card>, after the
//     clearing window of a card reported lost (kind epurse_refund).
//
// A card account's balance is therefore what was loaded minus what was
// cleared: the card's own balance plus purchases not yet uploaded. That is
// exactly what a lost card's holder is owed once the window has closed.
package purse
