# Debian packages, made by CPack from the install rules' components:
#
#   cmake -S . -B build && cmake --build build -j2
#   (cd build && cpack -G DEB)     # pharos-collector_<v>_<arch>.deb, pharos-agent_...
#
# pharos-collector: pharos-collector, pharosctl, the page
#   (/usr/share/pharos/web), its unit, /etc/pharos/pharos.yml (conffile),
#   the docs and the pharos.yml and nginx examples; the system user pharos.
# pharos-agent: pharos-agent, its unit, /etc/pharos/agent.yml (conffile),
#   the agent.yml example; the system user pharos-agent.
#
# Library dependencies come from dpkg-shlibdeps, so the packages install
# with apt on the Debian release they were built on. The maintainer
# scripts (postinst, prerm, postrm) are in this directory;
# tests/integration/test_packages.py installs, checks, removes and purges
# the packages in a fresh Debian 12 chroot.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pharos)
set(CPACK_PACKAGE_VENDOR "Pharos")
# Whoever builds the packages maintains them: -DPH_DEB_MAINTAINER=...
set(PH_DEB_MAINTAINER "Pharos maintainers <root@localhost>" CACHE STRING
    "Maintainer field of the Debian packages")
set(CPACK_PACKAGE_CONTACT "${PH_DEB_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The conffiles sit under /etc: install with DESTDIR, the configured
# prefix (/usr) kept.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL pharos-collector pharos-agent)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(ph_deb ${CMAKE_CURRENT_LIST_DIR})
foreach(comp pharos-collector pharos-agent)
  string(TOUPPER ${comp} COMP)
  set(CPACK_DEBIAN_${COMP}_PACKAGE_NAME ${comp})
  # adduser makes the system user in postinst.
  set(CPACK_DEBIAN_${COMP}_PACKAGE_DEPENDS "adduser")
  set(CPACK_DEBIAN_${COMP}_PACKAGE_CONTROL_EXTRA
      ${ph_deb}/${comp}/conffiles ${ph_deb}/${comp}/postinst
      ${ph_deb}/${comp}/prerm ${ph_deb}/${comp}/postrm)
endforeach()
# The first line is the synopsis (no global summary is set, so CPack adds
# none).
set(CPACK_DEBIAN_PHAROS-COLLECTOR_DESCRIPTION
"self-hosted status page: the Pharos collector and pharosctl
Receives probe results from pharos-agent, derives each component's \
status with quorum across regions, keeps uptime history, runs incidents \
and maintenance, notifies subscribers and publishes the status page and \
a Statuspage-compatible JSON feed. pharosctl drives its management API.")
set(CPACK_DEBIAN_PHAROS-AGENT_DESCRIPTION
"synthetic probe agent of the Pharos status page
Runs the HTTP, TCP, DNS and SMTP checks that the Pharos collector \
assigns to its region and reports the results, spooling them on disk \
while the collector is unreachable.")
# tzdata: page.time_zone; ca-certificates: TLS to webhooks, SMTP, probes.
set(CPACK_DEBIAN_PHAROS-COLLECTOR_PACKAGE_RECOMMENDS "tzdata, ca-certificates")
set(CPACK_DEBIAN_PHAROS-COLLECTOR_PACKAGE_SUGGESTS "nginx | nginx-light")
set(CPACK_DEBIAN_PHAROS-AGENT_PACKAGE_RECOMMENDS "ca-certificates")

include(CPack)
