# The Debian package: `cpack -G DEB` in a build directory (tools/package) writes
# sigd_<version>_amd64.deb with sigd and sigctl, the systemd unit, /etc/default/sigd (a
# conffile) and the scripts that create the sigd system user. Its Depends are what
# dpkg-shlibdeps finds the binaries link, so `apt install ./sigd_*.deb` takes them from the
# archive.
include(GNUInstallDirs)
install(TARGETS sigd sigctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/sigd.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/default DESTINATION /etc/default RENAME sigd)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sigd)
set(CPACK_PACKAGE_VENDOR "sigd")
set(CPACK_PACKAGE_CONTACT "sigd maintainers <sigd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "WebRTC signaling server (PeerJS and td protocols)")
set(CPACK_PACKAGE_DESCRIPTION
    "sigd relays the offers, answers and ICE candidates WebRTC peers exchange, speaking the stock PeerJS client's protocol and its own td protocol, with an admin API (sigctl), Prometheus metrics and a Redis cluster mode.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
