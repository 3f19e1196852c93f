from support.desk import desk  # noqa: F401  (fixture)
