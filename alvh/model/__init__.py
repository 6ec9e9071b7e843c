"""Layer 3, the market model (method §2–§4): Black–Scholes and Black-76 pricing, the SPX vol
surface, the VX futures curve, VIX-option vol and the SPX→VIX response. Pure numerics: no
warehouse access."""
