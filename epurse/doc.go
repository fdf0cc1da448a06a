// Package epurse is the protocol core of stored-value cards: an e-purse
// modelled on the PBOC financial IC card "electronic wallet", with AES-CMAC
// (RFC 4493) in place of DES. It is pure: no storage, ledger or network;
// callers persist state and move money.
//
// Three parties:
//
//   - Card: keeps balance, online counter (loads), offline counter
//     (purchases), its three keys and a short log; refuses purchases above its
//     balance or the per-purchase cap and loads above the balance cap.
//   - SAM: a terminal's security module with the purchase master key; derives
//     a card's DPK offline, authorises a debit with MAC1, checks the card's MAC2
//     and produces the Record to upload.
//   - Issuer: holds all master keys; checks a load's MAC1, makes MAC2, checks
//     load TACs and, at clearing, every record's TAC.
//
// Load (online): InitLoadCommand → card InitLoadResponse (MAC1) →
// Issuer.AuthorizeLoad (CreditLoadCommand with MAC2) → card
// CreditLoadResponse (TAC) → Issuer.VerifyLoad.
//
// Purchase (offline): SAM.InitPurchase → card InitPurchaseResponse →
// SAM.Authorize (DebitPurchaseCommand with MAC1) → card DebitPurchaseResponse
// (TAC, MAC2) → SAM.Complete (Record) → upload → Issuer.VerifyRecord.
// A torn purchase is finished with PurchaseSession.ProofCommand,
// Card.GetTransactionProof and SAM.Recover; a torn load with
// LoadSession.ProofCommand and Issuer.VerifyLoad. Card.Process is the same
// card behind a byte-level APDU interface, as a reader would drive a chip.
//
// Clearing (clearing.go): Clearer.ClearBatch decides a terminal's uploaded
// records against the caller's ClearingState, with a Reason per record,
// the Settlements to book and the counter Gaps; MemClearingState is the
// in-memory reference state.
//
// Keys (see keys.go): per-card keys are KDF(master, label, card number) and
// session keys KDF(card key, label, random || counter [|| terminal seq]),
// where KDF is NIST SP 800-108r1 counter mode with AES-CMAC. MACs and TACs
// are the first 8 bytes of AES-CMAC. Byte layouts are in messages.go; fixed
// test vectors in testdata/vectors.txt.
package epurse
