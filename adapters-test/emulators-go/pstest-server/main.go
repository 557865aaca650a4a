// Command pstest-server serves Google's in-memory Pub/Sub fake (pstest) over plain gRPC on a
// port, so the unmodified Node client can reach it through PUBSUB_EMULATOR_HOST / apiEndpoint.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 to listen on (0 picks a free one)")
	flag.Parse()
	server := pstest.NewServerWithPort(*port)
	// The harness reads this line to learn the address, so the port is never guessed.
	fmt.Printf("listening %s\n", server.Addr)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	_ = server.Close()
}
