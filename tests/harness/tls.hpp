// A certificate authority of the lab's own and one server certificate it signed, valid for the
// given IP addresses, made with openssl in `dir`: for MariaDB servers that speak TLS.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace havip::test {

struct LabCertificates {
    std::string ca;    // the CA's certificate (ssl-ca for clients, ssl_ca for servers)
    std::string cert;  // the servers' certificate and key (ssl_cert, ssl_key)
    std::string key;
};

// Nothing (and the failure added to the test) when openssl fails.
std::optional<LabCertificates> make_lab_certificates(const std::filesystem::path& dir,
                                                     const std::vector<std::string>& ips);

}  // namespace havip::test
