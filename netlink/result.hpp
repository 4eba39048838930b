// A value or the errno-style error that prevented it: rtnetlink failures are expected (an
// interface vanished, a request timed out), so they are returned, never thrown.
#pragma once

#include <cassert>
#include <system_error>
#include <utility>
#include <variant>

namespace havip::netlink {

template <typename T>
class Result {
  public:
    Result(T value) : state_(std::move(value)) {}    // NOLINT(google-explicit-constructor)
    Result(std::error_code error) : state_(error) {  // NOLINT(google-explicit-constructor)
        assert(error);
    }
    Result(std::errc error) : Result(std::make_error_code(error)) {}  // NOLINT

    bool ok() const { return std::holds_alternative<T>(state_); }
    explicit operator bool() const { return ok(); }

    const T& value() const& {
        assert(ok());
        return std::get<T>(state_);
    }
    T& value() & {
        assert(ok());
        return std::get<T>(state_);
    }
    T&& value() && {
        assert(ok());
        return std::get<T>(std::move(state_));
    }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

    // The error, or an empty error_code when there is a value.
    std::error_code error() const {
        return ok() ? std::error_code{} : std::get<std::error_code>(state_);
    }

  private:
    std::variant<T, std::error_code> state_;
};

// errno as an error_code in the generic category, so callers compare with std::errc.
inline std::error_code errno_code(int err) {
    return {err, std::generic_category()};
}

}  // namespace havip::netlink
