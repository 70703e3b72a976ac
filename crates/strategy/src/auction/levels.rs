//! The value-area levels a bar is judged against and the direction geometry every setup
//! shares, so that each rule is written once and mirrored by a [`Direction`]: "up" (long,
//! VAH, highs) and "down" (short, VAL, lows).

use auction_trader_features::ProfileLevels;
use auction_trader_types::{Bar, Price};

use crate::api::Direction;

/// VAL, VAH and POC of one profile (SPEC 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    pub val: Price,
    pub vah: Price,
    /// The POC as a price target: the centre of the POC bin (`ProfileLevels::poc_mid`; the
    /// bin's lower edge `poc` is only its label). SPEC 3.1 "TP1 = POC".
    pub poc: Price,
}

impl Levels {
    /// The levels of a valid profile (SPEC 2.2: at least the minimum bins and the full
    /// warm-up); `None` while the profile is not valid or a level is missing.
    pub fn from_profile(profile: &ProfileLevels) -> Option<Self> {
        if !profile.valid {
            return None;
        }
        let (val, vah) = (profile.val?, profile.vah?);
        let poc = profile.poc_mid.or(profile.poc)?;
        (val <= vah).then_some(Self { val, vah, poc })
    }

    /// The value-area edge on `side`: VAH up, VAL down.
    pub fn edge(&self, side: Direction) -> Price {
        match side {
            Direction::Long => self.vah,
            Direction::Short => self.val,
        }
    }

    /// VAH − VAL.
    pub fn height(&self) -> Price {
        self.vah.saturating_sub(self.val)
    }

    /// SPEC 2.2: "inside the value area" means VAL <= price <= VAH.
    pub fn is_inside(&self, price: Price) -> bool {
        self.val <= price && price <= self.vah
    }
}

/// `price` is strictly beyond `level` on `side` (up: above; down: below). SPEC 3.1: touching
/// a level is not beyond it.
pub fn beyond(side: Direction, price: Price, level: Price) -> bool {
    match side {
        Direction::Long => price > level,
        Direction::Short => price < level,
    }
}

/// `price` moved `amount` further toward `side` (up: +, down: −), saturating.
pub fn offset(side: Direction, price: Price, amount: Price) -> Price {
    match side {
        Direction::Long => price.saturating_add(amount),
        Direction::Short => price.saturating_sub(amount),
    }
}

/// The more extreme of two prices toward `side` (up: the higher).
pub fn further(side: Direction, first: Price, second: Price) -> Price {
    match side {
        Direction::Long => first.max(second),
        Direction::Short => first.min(second),
    }
}

/// The bar's excursion toward `side`: its high up, its low down.
pub fn bar_extreme(side: Direction, bar: &Bar) -> Price {
    match side {
        Direction::Long => bar.high,
        Direction::Short => bar.low,
    }
}

/// Name of the machine watching `side` ("up"/"down" suffix).
pub fn side_name(side: Direction) -> &'static str {
    match side {
        Direction::Long => "up",
        Direction::Short => "down",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(units: i64) -> Price {
        Price::from_units(units).unwrap()
    }

    #[test]
    fn levels_need_a_valid_profile() {
        let mut profile = ProfileLevels {
            valid: true,
            poc: Some(price(100)),
            poc_mid: Some(price(101)),
            val: Some(price(98)),
            vah: Some(price(104)),
            ..ProfileLevels::default()
        };
        let levels = Levels::from_profile(&profile).unwrap();
        assert_eq!(levels.poc, price(101));
        assert_eq!(levels.height(), price(6));
        assert_eq!(levels.edge(Direction::Long), price(104));
        assert_eq!(levels.edge(Direction::Short), price(98));
        assert!(levels.is_inside(price(98)) && levels.is_inside(price(104)));
        assert!(!levels.is_inside(price(105)));
        profile.valid = false;
        assert!(Levels::from_profile(&profile).is_none());
    }

    #[test]
    fn geometry_mirrors() {
        assert!(beyond(Direction::Long, price(105), price(104)));
        assert!(!beyond(Direction::Long, price(104), price(104)));
        assert!(beyond(Direction::Short, price(97), price(98)));
        assert_eq!(offset(Direction::Short, price(98), price(1)), price(97));
        assert_eq!(further(Direction::Short, price(98), price(97)), price(97));
        assert_eq!(further(Direction::Long, price(98), price(97)), price(98));
    }
}
