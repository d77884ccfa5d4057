DROP TRIGGER audit_events_fan_out;
