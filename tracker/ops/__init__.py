"""Operations surface: Prometheus metrics and web endpoints."""
