#include "tests/harness/tls.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "tests/harness/command.hpp"

namespace havip::test {

std::optional<LabCertificates> make_lab_certificates(const std::filesystem::path& dir,
                                                     const std::vector<std::string>& ips) {
    using namespace std::chrono_literals;
    const auto openssl = [](std::vector<std::string> args) {
        args.insert(args.begin(), "openssl");
        auto r = run_command(args, 30s);
        EXPECT_TRUE(r.ok()) << r.err;
        return r.ok();
    };
    LabCertificates c{(dir / "ca.pem").string(), (dir / "server.pem").string(),
                      (dir / "server.key").string()};
    const std::string ca_key = (dir / "ca.key").string(), csr = (dir / "server.csr").string(),
                      ext = (dir / "server.ext").string();
    std::vector<std::string> names;
    for (const auto& ip : ips)
        names.push_back("IP:" + ip);
    std::ofstream(ext) << fmt::format("subjectAltName = {}\n", fmt::join(names, ", "));
    if (!openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                  "/CN=havip lab CA", "-keyout", ca_key, "-out", c.ca}) ||
        !openssl({"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=db", "-keyout", c.key,
                  "-out", csr}) ||
        !openssl({"x509", "-req", "-in", csr, "-CA", c.ca, "-CAkey", ca_key, "-CAcreateserial",
                  "-days", "2", "-extfile", ext, "-out", c.cert}))
        return std::nullopt;
    return c;
}

}  // namespace havip::test
