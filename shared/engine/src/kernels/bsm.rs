//! Black–Scholes–Merton pricing, greeks and implied volatility for the options family.
