//go:build linux

package bot

import (
	"context"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The gateway connection is dialled with a receive buffer big enough for
// a burst of interactions (the kernel may double what it is asked for).
func TestGatewayDialerEnlargesTheReceiveBuffer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := gatewayDialer().NetDialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var size int
	var sockErr error
	if err := raw.Control(func(fd uintptr) {
		size, sockErr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	}); err != nil || sockErr != nil {
		t.Fatal(err, sockErr)
	}
	// Linux doubles the size asked for, capped by net.core.rmem_max.
	want := 2 * gatewayReadBuffer
	if b, err := os.ReadFile("/proc/sys/net/core/rmem_max"); err == nil {
		if rmemMax, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			want = min(want, 2*rmemMax)
		}
	}
	if size < want {
		t.Errorf("receive buffer %d bytes, want %d", size, want)
	}
}
