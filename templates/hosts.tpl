{# img stock template for /etc/hosts: loopback entries plus the instance name on 127.0.1.1 (Debian convention). Rendered on create and copy, like hostname.tpl. #}127.0.0.1	localhost
127.0.1.1	{% if instance.name %}{{ instance.name }}{% else %}{{ container.name }}{% endif %}

# IPv6 loopback and multicast names
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
