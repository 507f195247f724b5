//! What an operation can refuse: errors are values, never crashes.

use std::fmt;

use crate::{AccountId, Money};

/// Why an operation was refused. A refused operation changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankError {
    /// No account has this id.
    UnknownAccount(AccountId),
    /// `create_account` of an id that exists already.
    DuplicateAccount(AccountId),
    /// A transfer whose sender is its receiver.
    SameAccount(AccountId),
    /// A negative amount (Go would silently turn a deposit into a withdrawal).
    NegativeAmount(Money),
    /// The new balance of `id` would not fit a [`Money`].
    Overflow {
        id: AccountId,
        balance: Money,
        amount: Money,
    },
}

impl fmt::Display for BankError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BankError::UnknownAccount(id) => write!(f, "no account {id}"),
            BankError::DuplicateAccount(id) => write!(f, "account {id} exists already"),
            BankError::SameAccount(id) => write!(f, "transfer from account {id} to itself"),
            BankError::NegativeAmount(amount) => write!(f, "negative amount {amount}"),
            BankError::Overflow {
                id,
                balance,
                amount,
            } => write!(
                f,
                "account {id}: balance {balance} changed by {amount} overflows"
            ),
        }
    }
}

impl std::error::Error for BankError {}
