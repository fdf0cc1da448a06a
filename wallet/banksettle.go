package wallet

import "context"

// SettleBankOp applies a bank's answer about an operation that arrived on
// its own (a callback, or a statement line's status query): the same
// settle path the recovery worker takes. A final operation stays as it is,
// so a duplicate or stale answer moves nothing; a pending answer changes
// nothing either. CodeNotFound when no such operation exists.
func (s *Service) SettleBankOp(ctx context.Context, id string, res BankResult) (BankOp, error) {
	op, err := s.Store.BankOp(ctx, id)
	if err != nil || op.Status == OpSucceeded || op.Status == OpFailed {
		return op, err
	}
	return s.settleOp(ctx, op, res)
}

// settleOp settles a top-up, withdrawal or payout by the bank's answer.
func (s *Service) settleOp(ctx context.Context, op BankOp, res BankResult) (BankOp, error) {
	if op.Kind == OpTopup {
		return s.settleTopup(ctx, op, res)
	}
	return s.settleWithdrawal(ctx, op, res)
}
