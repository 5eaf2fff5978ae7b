#include "daemon/sd_notify.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "tests/temp_dir.h"

namespace vidx {
namespace {

// A datagram socket standing in for systemd's notify socket. `address` is a path, or
// "@name" for the abstract namespace. Receives with SO_PASSCRED, as systemd does.
class FakeSystemd {
 public:
  explicit FakeSystemd(const std::string& address) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0);
    int one = 1;
    EXPECT_EQ(::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
    struct sockaddr_un addr;
    std::memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    socklen_t len;
    if (address[0] == '@') {
      std::memcpy(addr.sun_path + 1, address.data() + 1, address.size() - 1);
      len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + address.size());
    } else {
      std::memcpy(addr.sun_path, address.data(), address.size());
      len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + address.size() + 1);
    }
    EXPECT_EQ(::bind(fd_, reinterpret_cast<struct sockaddr*>(&addr), len), 0)
        << address << ": " << std::strerror(errno);
  }
  ~FakeSystemd() { ::close(fd_); }

  // The next datagram and its sender's pid; nullopt after 5 s.
  std::optional<std::string> Receive(pid_t* sender = nullptr) {
    struct pollfd p = {fd_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return std::nullopt;
    char buf[4096];
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr msg;
    std::memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0) return std::nullopt;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS && sender != nullptr) {
        struct ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        *sender = cred.pid;
      }
    }
    return std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
};

// Sets and restores the variables systemd passes.
class SdNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
      const char* v = std::getenv(name);
      if (v != nullptr) saved_[name] = v;
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) {
      auto it = saved_.find(name);
      if (it == saved_.end()) {
        ::unsetenv(name);
      } else {
        ::setenv(name, it->second.c_str(), 1);
      }
    }
  }
  static void Set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

  vidx::testing::TempDir tmp_{"vidx_notify"};
  std::map<std::string, std::string> saved_;
};

TEST_F(SdNotifyTest, DisabledWithoutNotifySocket) {
  SystemdNotifier n = SystemdNotifier::FromEnvironment();
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(n.Notify("READY=1").ok());
  Set("WATCHDOG_USEC", "1000000");  // a watchdog without a socket cannot be fed
  EXPECT_FALSE(SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds().has_value());
  Set("NOTIFY_SOCKET", "");
  EXPECT_FALSE(SystemdNotifier::FromEnvironment().enabled());
  Set("NOTIFY_SOCKET", "relative/socket");
  EXPECT_FALSE(SystemdNotifier::FromEnvironment().enabled());
  EXPECT_FALSE(SystemdNotifier().enabled());
}

TEST_F(SdNotifyTest, SendsExactDatagramsToAPathSocket) {
  const std::string path = (tmp_.path() / "notify").string();
  FakeSystemd systemd(path);
  Set("NOTIFY_SOCKET", path);
  SystemdNotifier n = SystemdNotifier::FromEnvironment();
  ASSERT_TRUE(n.enabled());
  EXPECT_EQ(n.socket_address(), path);
  ASSERT_TRUE(n.Notify("READY=1\nSTATUS=indexing 3/10").ok());
  pid_t sender = 0;
  EXPECT_EQ(systemd.Receive(&sender), "READY=1\nSTATUS=indexing 3/10");
  EXPECT_EQ(sender, ::getpid());  // systemd attributes the message by the sender's pid
  ASSERT_TRUE(n.Notify("WATCHDOG=1").ok());
  ASSERT_TRUE(n.Notify("STOPPING=1").ok());
  EXPECT_EQ(systemd.Receive(), "WATCHDOG=1");  // one datagram per call, in order
  EXPECT_EQ(systemd.Receive(), "STOPPING=1");
}

TEST_F(SdNotifyTest, SendsToAnAbstractSocket) {
  const std::string name = "@vidx-notify-test-" + std::to_string(::getpid());
  FakeSystemd systemd(name);
  Set("NOTIFY_SOCKET", name);
  SystemdNotifier n = SystemdNotifier::FromEnvironment();
  ASSERT_TRUE(n.enabled());
  ASSERT_TRUE(n.Notify("READY=1").ok());
  EXPECT_EQ(systemd.Receive(), "READY=1");
  // The name is matched exactly (length included): a socket named with a suffix differs.
  Set("NOTIFY_SOCKET", name + "x");
  EXPECT_EQ(SystemdNotifier::FromEnvironment().Notify("READY=1").code(), StatusCode::kIoError);
}

TEST_F(SdNotifyTest, FailuresAreStatuses) {
  Set("NOTIFY_SOCKET", (tmp_.path() / "nobody-listens").string());
  Status s = SystemdNotifier::FromEnvironment().Notify("READY=1");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("nobody-listens"), std::string::npos) << s.message();
  Set("NOTIFY_SOCKET", "/" + std::string(200, 'x'));
  EXPECT_EQ(SystemdNotifier::FromEnvironment().Notify("READY=1").code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SdNotifyTest, WatchdogInterval) {
  Set("NOTIFY_SOCKET", "/run/systemd/notify");
  EXPECT_FALSE(SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds().has_value());

  Set("WATCHDOG_USEC", "60000000");  // WatchdogSec=60
  auto interval = SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds();
  ASSERT_TRUE(interval.has_value());
  EXPECT_DOUBLE_EQ(*interval, 30.0);

  Set("WATCHDOG_PID", std::to_string(::getpid()));
  interval = SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds();
  ASSERT_TRUE(interval.has_value());
  EXPECT_DOUBLE_EQ(*interval, 30.0);

  Set("WATCHDOG_PID", std::to_string(::getpid() + 1));  // meant for another process
  EXPECT_FALSE(SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds().has_value());
  Set("WATCHDOG_PID", "not-a-pid");
  EXPECT_FALSE(SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds().has_value());
  ::unsetenv("WATCHDOG_PID");

  Set("WATCHDOG_USEC", "1500");
  interval = SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds();
  ASSERT_TRUE(interval.has_value());
  EXPECT_DOUBLE_EQ(*interval, 0.00075);
  for (const char* bad : {"0", "", "abc", "-5", " 5", "5s", "99999999999999999999999"}) {
    Set("WATCHDOG_USEC", bad);
    EXPECT_FALSE(SystemdNotifier::FromEnvironment().WatchdogIntervalSeconds().has_value())
        << "WATCHDOG_USEC=" << bad;
  }
}

}  // namespace
}  // namespace vidx
