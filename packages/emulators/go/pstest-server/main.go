// Command pstest-server serves Google's in-memory Pub/Sub fake (pstest) over plain gRPC on a
// port, so the unmodified Node client can reach it through PUBSUB_EMULATOR_HOST / apiEndpoint.
//
// pstest's own listener uses gRPC's default 4 MiB message limit, far below Pub/Sub's 10 MB
// messages, so its service implementation is registered on a server with real-service limits.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc"
)

const maxMessage = 32 << 20

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 to listen on (0 picks a free one)")
	flag.Parse()
	fake := pstest.NewServerWithAddress("127.0.0.1:0")
	defer fake.Close()
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	server := grpc.NewServer(grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))
	pubsubpb.RegisterPublisherServer(server, &fake.GServer)
	pubsubpb.RegisterSubscriberServer(server, &fake.GServer)
	pubsubpb.RegisterSchemaServiceServer(server, &fake.GServer)
	go func() {
		if err := server.Serve(listener); err != nil {
			log.Fatal(err)
		}
	}()
	// The harness reads this line to learn the server is up.
	fmt.Printf("listening %s\n", listener.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	server.Stop()
}
