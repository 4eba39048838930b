// havipd entry point: command line, then the daemon. (Being written; see vrrpd/CMakeLists.txt.)
int main() { return 0; }
