-- Whether a group's debugging domain ({group_id}.apic.{suffix}) answers:
-- UpdateSlDomainSettingV2 turns it off and on; on by default, as on Huawei.
ALTER TABLE api_groups ADD COLUMN sl_domain_access INTEGER NOT NULL DEFAULT 1;
