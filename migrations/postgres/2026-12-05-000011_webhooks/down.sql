DROP TRIGGER audit_events_fan_out ON audit_events;
DROP FUNCTION webhook_fan_out();
