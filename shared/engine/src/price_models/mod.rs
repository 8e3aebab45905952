//! The Bitcoin price-model framework: the `PriceModel` trait, its registry and backtests.
