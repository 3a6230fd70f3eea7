//! [`Slot`]: a member's place on a ready list, the one node type of every ready set's list (the
//! fixed sets' and the dynamic set's), and [`Listed`], what a member type says about it.

use core::marker::PhantomData;

use crate::sync::const_fn;
use crate::{Handle, Link, Node};

/// A member type that a ready list lists: its first field is its [`Slot`] (`repr(C)`), so a
/// pointer to the slot made from a pointer to the member leads back to the member, and `Entry` is
/// the handle kind that owns the slot while the member is listed. (`pub` in a private module:
/// the sets' sealed traits reach it, users never name it.)
pub trait Listed: Sized {
    /// The ready list's handle kind: the one owner of a member's slot while it is listed (at
    /// most one per member at a time).
    type Entry: Handle<Target = Slot<Self>>;
}

/// A member's place on a ready list: the list's node type, a [`Link`] and nothing else.
///
/// It is the member's first field, so a pointer to the slot made from a pointer to the member is
/// a pointer to the member again. Only the ready list reaches it, through the member's one
/// entry at a time: no code names the field after the member is made.
#[repr(transparent)]
pub struct Slot<T: Listed> {
    link: Link,
    /// The member type the slot belongs to; it holds no member (and has none of its auto traits).
    _member: PhantomData<fn() -> T>,
}

impl<T: Listed> Slot<T> {
    const_fn! {
        /// A slot on no list, for a new member.
        pub(crate) fn new() -> Slot<T> {
            Slot {
                link: Link::new(),
                _member: PhantomData,
            }
        }
    }
}

// SAFETY: `LINK_OFFSET` is the offset of `link`, a `Link` field of the slot itself (zero: `Slot` is
// `repr(transparent)` over it), used by the set's ready list alone.
unsafe impl<T: Listed> Node for Slot<T> {
    type Handle = T::Entry;

    const LINK_OFFSET: usize = core::mem::offset_of!(Self, link);
}
