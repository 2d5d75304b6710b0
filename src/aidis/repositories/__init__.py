"""SQL lives here and nowhere else: functions take a Connection and return typed records."""
