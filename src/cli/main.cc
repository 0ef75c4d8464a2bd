namespace sk::cli {
int Main(int argc, char** argv);
}

int main(int argc, char** argv) { return sk::cli::Main(argc, argv); }
