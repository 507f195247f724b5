//! The arithmetic of each operation: pure, checked, and decided before
//! anything is written, so that a refused operation changes nothing.

use crate::{AccountId, BankError, Money};

/// Refuses a negative amount.
pub fn check_amount(amount: Money) -> Result<(), BankError> {
    if amount < 0 {
        return Err(BankError::NegativeAmount(amount));
    }
    Ok(())
}

/// The balance of `id` after depositing `amount`.
pub fn deposit(id: AccountId, balance: Money, amount: Money) -> Result<Money, BankError> {
    debug_assert!(amount >= 0, "amounts are checked on entry");
    balance.checked_add(amount).ok_or(BankError::Overflow {
        id,
        balance,
        amount,
    })
}

/// The balance after withdrawing `amount`, or `None` when the balance does
/// not cover it.
pub fn withdraw(balance: Money, amount: Money) -> Option<Money> {
    debug_assert!(amount >= 0, "amounts are checked on entry");
    // balance >= amount >= 0, so the difference cannot overflow.
    (balance >= amount).then(|| balance - amount)
}

/// A transfer's new (sender, receiver) balances, `Ok(None)` when the sender
/// is short and overdraw is not allowed.
pub fn transfer(
    (from, from_balance): (AccountId, Money),
    (to, to_balance): (AccountId, Money),
    amount: Money,
    allow_overdraw: bool,
) -> Result<Option<(Money, Money)>, BankError> {
    debug_assert!(from != to, "same-account transfers are refused on entry");
    if !allow_overdraw && from_balance < amount {
        return Ok(None);
    }
    let from_after = from_balance
        .checked_sub(amount)
        .ok_or(BankError::Overflow {
            id: from,
            balance: from_balance,
            amount: -amount,
        })?;
    let to_after = deposit(to, to_balance, amount)?;
    Ok(Some((from_after, to_after)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deposit_checks_overflow() {
        assert_eq!(deposit(1, 5, 7), Ok(12));
        assert_eq!(
            deposit(1, Money::MAX, 1),
            Err(BankError::Overflow {
                id: 1,
                balance: Money::MAX,
                amount: 1
            })
        );
    }

    #[test]
    fn withdraw_refuses_short_balance() {
        assert_eq!(withdraw(10, 10), Some(0));
        assert_eq!(withdraw(10, 11), None);
        assert_eq!(withdraw(-5, 0), None);
        assert_eq!(withdraw(0, 0), Some(0));
    }

    #[test]
    fn transfer_overdraw_and_overflow() {
        assert_eq!(transfer((0, 1), (1, 0), 2, false), Ok(None));
        assert_eq!(transfer((0, 1), (1, 0), 2, true), Ok(Some((-1, 2))));
        assert!(matches!(
            transfer((0, Money::MIN), (1, 0), 1, true),
            Err(BankError::Overflow { id: 0, .. })
        ));
        assert!(matches!(
            transfer((0, 5), (1, Money::MAX), 1, false),
            Err(BankError::Overflow { id: 1, .. })
        ));
    }

    #[test]
    fn negative_amounts_refused() {
        assert_eq!(check_amount(-1), Err(BankError::NegativeAmount(-1)));
        assert_eq!(check_amount(0), Ok(()));
    }
}
