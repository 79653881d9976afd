use super::*;

#[test]
fn versions_round_trip() {
    assert_eq!(format_version(0), "19700101000000");
    let v = "20250128113000";
    assert_eq!(version_seconds(v).map(format_version).as_deref(), Some(v));
    assert_eq!(version_seconds("2025"), None);
    assert_eq!(version_seconds("20251328113000"), None);
    assert_eq!(camelize("create_security_events"), "CreateSecurityEvents");
}
