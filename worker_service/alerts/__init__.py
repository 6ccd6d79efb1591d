"""Alerts: rules evaluated on the database (`rules`, `store`), sent to ALERT_WEBHOOK_URL as a
Slack-compatible `{"text": …}` POST by a maintenance service (`evaluator`)."""
