//! TA-Lib-faithful loops (its seeding and lookback conventions) for the technical family.
