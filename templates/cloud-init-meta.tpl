{# img stock template for the NoCloud meta-data seed. instance-id is the instance name, so a copy (new name) is a new instance to cloud-init; user.meta-data is appended (LXD has no cloud-init.meta-data key). Rendered on create and copy. #}instance-id: {% if instance.name %}{{ instance.name }}{% else %}{{ container.name }}{% endif %}
local-hostname: {% if instance.name %}{{ instance.name }}{% else %}{{ container.name }}{% endif %}{% if config_get("user.meta-data", "") != "" %}
{{ config_get("user.meta-data", "") }}{% endif %}
