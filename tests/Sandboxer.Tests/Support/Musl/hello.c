/* A program linked against musl's loader and libgreet.so (see build/test.sh). */
void greet(const char *who);

int main(void)
{
    greet("musl");
    return 0;
}
