{# img stock template for the NoCloud network-config seed: cloud-init.network-config, else the legacy user.network-config, else DHCP on the first NIC (eth0 in a container, enp5s0 in a LXD VM). Rendered on create and copy. #}{% if config_get("cloud-init.network-config", "") != "" %}{{ config_get("cloud-init.network-config", "") }}{% elif config_get("user.network-config", "") != "" %}{{ config_get("user.network-config", "") }}{% else %}version: 1
config:
  - type: physical
    name: {% if instance.type == "virtual-machine" %}enp5s0{% else %}eth0{% endif %}
    subnets:
      - type: dhcp
        control: auto{% endif %}
