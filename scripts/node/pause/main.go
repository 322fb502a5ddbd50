// pause: the sandbox ("pause") container of the end-to-end node. No registry is reachable,
// so the node's sandbox image is this static binary in an otherwise empty image. It holds
// the pod's namespaces open until it is told to stop.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
